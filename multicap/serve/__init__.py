"""`multicap serve`: a local web app and REST API over one index (the `serve` extra: FastAPI, uvicorn).

    from multicap.serve.app import create_app
    app = create_app(resolve_index("photos"))      # then uvicorn.run(app, host="127.0.0.1", port=8765)

A thin layer over the library (docs/architecture.md, the serve layer): `collection` reads the index
(read-only; images by id, files checked), `service` holds what the routes call, `modelside` the calls
that need the index's model (imported in the background: the first page never waits for torch), `api`
the JSON routes, `pages` the HTML ones. This package's own import loads nothing: import `app`.
"""
