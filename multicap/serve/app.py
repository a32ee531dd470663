"""`create_app(root)`: the FastAPI application of `multicap serve` (the API, the pages, their errors).

    app = create_app(resolve_index("photos"))     # uvicorn.run(app, host="127.0.0.1", port=8765)

`app_from_environment` makes the same app in each worker process of `multicap serve --workers N`, from
what the command put in `MULTICAP_SERVE` (JSON: root, device, max_upload).

The web app and the CLI are two faces on the same library calls (docs/architecture.md, decision 7 and
"Serve"): routes call `Service`, which calls `multicap.index`, `multicap.compare` and
`multicap.describe`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import faiss
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from multicap._version import __version__
from multicap.errors import ImageLoadError, IndexDamagedError, IndexLockedError, MulticapError
from multicap.serve import api, pages
from multicap.serve.background import NotReady
from multicap.serve.collection import Gone, NotFound, Refused, Unreadable
from multicap.serve.service import DEFAULT_MAX_UPLOAD, Service, UploadTooLarge

__all__ = ["LOOPBACK_NAMES", "SETTINGS_VARIABLE", "app_from_environment", "create_app"]

# The names a browser on this machine reaches a loopback server by: the Host header a request must carry
# when `multicap serve` listens on loopback (a page elsewhere that rebinds its own name to 127.0.0.1 sends
# its own name, and is refused)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

SETTINGS_VARIABLE = "MULTICAP_SERVE"
_MODEL_DELAY = 3.0  # s: a worker starts loading the model this long after it starts (the first page first)

_STATIC = Path(__file__).parent / "static"
_FORM_OVERHEAD = 64 * 1024  # bytes a multipart body may hold beyond the file (boundaries, headers)


def create_app(
    root: Path,
    *,
    device: str = "cpu",
    max_upload: int = DEFAULT_MAX_UPLOAD,
    load_model: bool = True,
    hosts: tuple[str, ...] | None = None,
    proxies: tuple[str, ...] = (),
) -> FastAPI:
    """The app serving the index at `root` (opened read-only; see `multicap.serve.collection`).

    Args:
        load_model: start loading the index's model in the background at once (else on first need).
        hosts: the names a request's Host header may give, or None for any (`HostCheck`). `multicap
            serve` on loopback gives `LOOPBACK_NAMES` and the names it was told (`--allow-host`).
        proxies: the names (`--allow-host`) whose pages may change things besides this server's own.
    """
    # One FAISS thread per search: requests run side by side, and on two busy cores OpenMP's spinning
    # made one exact search of 10,000 × 1,280 take 10.6 ms instead of 2.0 ms (measured in this process).
    faiss.omp_set_num_threads(1)
    service = Service(root, device=device, max_upload=max_upload, load_model=load_model)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPIOffline(  # /docs and /redoc from files the package ships: no CDN, as everything here
        title="multicap",
        version=__version__,
        description="Search, describe and compare the images of one multicap index.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # Swagger UI's default badge asks validator.swagger.io
    )
    app.state.service = service
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    for error, status in _STATUS.items():
        app.add_exception_handler(error, _handler(status))
    app.add_exception_handler(sqlite3.Error, _unreadable)  # the index moved away, or being rebuilt
    app.add_exception_handler(RequestValidationError, _invalid)  # 422 in the API's one shape: {"error"}
    app.add_exception_handler(StarletteHTTPException, _http_error)  # 404 of no route, 405: the same shape
    app.add_middleware(BodyLimit, limit=max_upload + _FORM_OVERHEAD, said=max_upload)
    app.add_middleware(HeadAsGet)
    app.add_middleware(HostCheck, hosts=hosts, proxies=proxies)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `multicap serve --workers N` (uvicorn's factory)."""
    settings = json.loads(os.environ[SETTINGS_VARIABLE])
    hosts = settings.get("hosts")
    web = create_app(
        Path(settings["root"]),
        device=settings["device"],
        max_upload=settings["max_upload"],
        load_model=False,
        hosts=None if hosts is None else tuple(hosts),
        proxies=tuple(settings.get("proxies", ())),
    )
    timer = threading.Timer(_MODEL_DELAY, web.state.service.model_job.start)
    timer.daemon = True
    timer.start()
    return web


_STATUS: dict[type[Exception], int] = {
    UploadTooLarge: 413,
    NotFound: 404,
    Gone: 410,
    Unreadable: 409,
    Refused: 403,
    NotReady: 503,
    IndexLockedError: 503,  # an index whose first images are being indexed now: a wait, as NotReady
    ImageLoadError: 400,
    IndexDamagedError: 500,  # the server's index, not the request: it says how to build it again
    MulticapError: 400,
}


def _handler(status: int) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        headers = {"Retry-After": "2"} if status == 503 else None
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status, headers=headers)
        return pages.error_page(request, message, status, headers)

    return handle


async def _http_error(request: Request, exc: Exception) -> Response:
    """No route here (404), a method the route does not take (405): {"error"} under /api as every other
    error of the API (FastAPI's own said {"detail"}), the error page elsewhere."""
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    headers = getattr(exc, "headers", None)
    message = str(getattr(exc, "detail", "")) or type(exc).__name__
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return pages.error_page(request, message, status, headers)


async def _unreadable(request: Request, exc: Exception) -> Response:
    """The index's database cannot be read now (its folder moved away, or deleted to be built again): 503
    with Retry-After, in one line; it is read again when it is back (a bare 500 and a traceback before)."""
    root = request.app.state.service.collection.root
    message = (
        f"the index at {root} cannot be read now ({exc}): moved, or being built again? It is read when back"
    )
    headers = {"Retry-After": "5"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=503, headers=headers)
    return pages.error_page(request, message, 503, headers)


_UPLOADS = ("/api/search/image", "/api/describe")  # the routes that take a file, not JSON


async def _invalid(request: Request, exc: Exception) -> Response:
    """A request FastAPI could not read into the endpoint's parameters: the first problem, in one line."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    said = str(first.get("msg", "invalid request"))
    message = f"{where}: {said}" if where else said
    if tuple(first.get("loc", ()))[:1] == ("body",):
        message += _body_hint(request)
    if where == "file" and "UploadFile" in said:  # "-F file=photo.jpg": a text field, the @ left out
        message = "file: a text was sent, not a file: send the file itself (curl -F file=@photo.jpg)"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=422)
    return pages.error_page(request, message, 422, None)


def _body_hint(request: Request) -> str:
    """How to send a body that came as another type than the route reads: `curl -d '{"ids": [1, 2]}'`
    sends a form, whose JSON had gone unread ("ids: Field required", and nothing more)."""
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    upload = request.url.path in _UPLOADS
    if sent == ("multipart/form-data" if upload else "application/json"):
        return ""
    fix = (
        "send the file as multipart/form-data (curl -F file=@photo.jpg)"
        if upload
        else ("send JSON with Content-Type: application/json")
    )
    return f" (the body came as {sent or 'no type'}: {fix})"


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413, by its Content-Length or, without one, as
    soon as more than that has arrived (nothing past the limit is read)."""

    def __init__(self, app: ASGIApp, limit: int, said: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.said = limit if said is None else said  # the limit a user set (the file's, not the form's)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(send, self.said)
            return
        seen = 0
        started = over = False

        async def limited() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                over = True
                raise _TooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if over:  # the form parser turned the cut body into its own 400 ("error parsing the body"): 413
                if not started and message["type"] == "http.response.start":
                    started = True
                    await _too_large(send, self.said)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except _TooLarge:
            if not started:
                await _too_large(send, self.said)


class HostCheck:
    """Refuse a request that names another host (400), or that another site's page sends to change
    something (403), and keep this server's pages and images to its own pages:

    - a web page whose own name an attacker points at 127.0.0.1 (DNS rebinding) sends that name as Host,
      and could otherwise read the index's answers through the visitor's browser (with `hosts`: a server
      on loopback);
    - a page of another site may still send a form or an upload here (the browser names this server as
      Host, but the page's own origin as Origin): POST, PUT, PATCH and DELETE whose Origin is not this
      server (its name and port, as the Host header gives them) are refused, on any address, so that such
      a page cannot reload the index or spend its CPU on uploads (on 0.0.0.0 any origin had been taken,
      and on loopback any port of 127.0.0.1, another local web app's pages too);
    - every answer says that no other site may frame it or embed it (`_OWN_SITE_ONLY`): another site's
      page had shown the app in a frame and loaded every thumbnail, learning how many photos there are.
    Names compare without the port and in lower case; an IPv6 address in brackets ("[::1]")."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...] | None, proxies: tuple[str, ...] = ()) -> None:
        self.app = app
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)
        self.proxies = frozenset(p.lower() for p in proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("host", "")
        host = _host_name(given)
        message, status = "", 200
        if self.hosts is not None and host not in self.hosts:
            status = 400
            named = ", ".join(sorted(self.hosts))
            this = f"not {host}" if host else "and this request names no host"
            message = (
                f"this server answers requests to {named} only, {this}; start it with --allow-host NAME to "
                "be reached as NAME"
            )
        elif scope["method"] not in ("GET", "HEAD", "OPTIONS") and "origin" in headers:
            origin = headers["origin"]
            if not self._own(origin.split("://", 1)[-1].rstrip("/").lower(), given.strip().lower()):
                status, message = 403, f"a request from the page of another site ({origin}) is refused"
        if status != 200:
            response = JSONResponse({"error": message}, status_code=status)
            await response(scope, receive, _own_site_only(send))
            return
        await self.app(scope, receive, _own_site_only(send))

    def _own(self, origin: str, host: str) -> bool:
        """Whether a page at `origin` ("name:port") is this server's: the name and port the request was
        sent to, or a name given with --allow-host (a proxy's, whose Host header may be this server's own
        address); not any port of this server's address (another local web app's pages)."""
        return origin == host or _host_name(origin) in self.proxies


# What every answer carries: no other site's page may frame it (clickjacking, or showing the app inside a
# page of its own) or load its images and pages as its own (CORP: thumbnails had loaded on another site).
_OWN_SITE_ONLY = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
)


def _own_site_only(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_OWN_SITE_ONLY]}
        await send(message)

    return sending


def _host_name(netloc: str) -> str:
    """'Example.org:8765' → 'example.org'; '[::1]:8765' → '[::1]'; the port and any path dropped."""
    netloc = netloc.split("/", 1)[0].strip().lower()
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


class HeadAsGet:
    """HEAD answered as GET without its body: FastAPI's routes take GET alone, and link checkers and
    monitors, which ask HEAD, got 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headless(message: Message) -> None:
            await send({**message, "body": b""} if message["type"] == "http.response.body" else message)

        await self.app({**scope, "method": "GET"}, receive, headless)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    mib = f"{limit / 2**20:g} MiB: --max-upload-mb"
    error = f"the request is over the upload limit of {limit:,} bytes ({mib})"
    response = JSONResponse({"error": error}, status_code=413)
    await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
