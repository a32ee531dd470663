"""The REST API (JSON; GET /api lists its routes, OpenAPI schema at /openapi.json, documented at /docs).
Each route makes one call on `Service` and returns its result; errors come back as {"error": one line}
with a status code: 400 bad input, 403 a file no longer the one indexed, 404 no such image or route, 405
a method the route does not take, 413 upload too large, 422 a request that does not fit the route's
parameters, 503 still loading (Retry-After)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from multicap.errors import ConfigError
from multicap.index.search import NothingMatches
from multicap.serve.service import MAX_OFFSET, Service

__all__ = ["router"]


class ApiError(BaseModel):
    """Every error of the API, whatever its status."""

    error: str = Field(description="What went wrong and what to do, in one line.")


# in the schema as the API answers them: FastAPI's own 422 said {"detail": [...]}, which no route returns
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ApiError, "description": said}
    for code, said in (
        (400, "Bad input: an unreadable upload, an unknown level, a query with no usable word (a query "
              "that no image answers is a 200 with no hits and a note)."),
        (403, "The image's file is no longer the file indexed (a link now, another kind of file)."),
        (404, "No such image (or route)."),
        (410, "The image's file is gone: moved or deleted since it was indexed."),
        (413, "The upload is over the limit (`--max-upload-mb`)."),
        (422, "The request does not fit the route's parameters."),
        (503, "Still loading the model or comparing the whole index, or the index cannot be read now; "
              "see Retry-After."),
    )
}  # fmt: skip
router = APIRouter(prefix="/api", responses=_ERRORS)
_LEVELS_HELP = "Match the words at these levels only (object, attribute, layout, caption, tags)."


def service(request: Request) -> Service:
    return request.app.state.service


async def _read(request: Request, file: UploadFile, limit: int) -> bytes:
    """The upload's bytes (one over `limit` tells "too large" without reading the rest); one file only: of
    `-F file=@a.jpg -F file=@b.jpg` the last had been read, unsaid."""
    sent = len((await request.form()).getlist("file"))  # the form FastAPI read, not read again
    if sent > 1:
        raise ConfigError(f"send one file a request ({sent} were sent as file): a request for each")
    return await file.read(limit + 1)


@router.get("", tags=["index"], summary="The API's routes, each with what it does (/docs shows them in full)")
def routes(request: Request) -> dict[str, Any]:
    """Every route under /api, with its methods and what it does."""
    # read from the OpenAPI schema: `app.routes` holds wrappers of included routers in some FastAPI
    # versions (0.163 listed none)
    paths = request.app.openapi()["paths"]
    said = [
        {
            "path": path,
            "methods": sorted(m.upper() for m in ops),
            "summary": next(iter(ops.values())).get("summary"),
        }
        for path, ops in paths.items()
        if path.startswith("/api/")
    ]
    return {"docs": "/docs", "routes": said}


@router.get("/info", tags=["index"], summary="The index: counts, model, FAISS layouts, loading state")
def info(request: Request) -> dict[str, Any]:
    return service(request).info()


@router.post("/reload", tags=["index"], summary="Read the index again now (it is also re-read on change)")
def reload(request: Request) -> dict[str, Any]:
    service(request).collection.clear()
    return {"reloaded": True, "images": len(service(request).collection.catalogue().by_id)}


@router.get("/search", tags=["search"], summary="Search by text (q) or by an indexed image (like)")
def search(
    request: Request,
    q: Annotated[str | None, Query(max_length=1000, description="What to look for, in words.")] = None,
    like: Annotated[
        int | None, Query(description="The id of an indexed image: the other images most like it.")
    ] = None,
    k: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Hits to skip: the next page.")] = 0,
    level: Annotated[list[str] | None, Query(description=_LEVELS_HELP)] = None,
) -> dict[str, Any]:
    svc = service(request)
    try:
        result, hits, more, version = svc.search(q, like, k, tuple(level) if level else None, offset)
    except NothingMatches as exc:  # a query read, which no image answers: no hits and why, not a bad request
        return {
            "hits": [], "offset": offset, "more": False, "unknown": exc.unknown, "concepts": [], "spaces": [],
            "nearest_only": False, "notes": [*exc.unknown, *exc.notes, str(exc)],
            "index_version": svc.collection.catalogue().version,  # as every page says it
        }  # fmt: skip
    notes = svc.search_notes(q, result, hits, offset + k)
    return {
        "hits": hits, "offset": offset, "more": more, "unknown": result.unknown, "concepts": result.concepts,
        "spaces": result.spaces, "nearest_only": result.nearest_only(), "notes": notes,
        "index_version": version,  # pages of one version neither repeat nor skip an image
    }  # fmt: skip


@router.post("/search/image", tags=["search"], summary="The indexed images most like an uploaded one")
async def search_image(
    request: Request, file: Annotated[UploadFile, File()], k: Annotated[int, Query(ge=1, le=200)] = 20
) -> dict[str, Any]:
    svc = service(request)
    data = await _read(request, file, svc.max_upload)
    result, hits = await run_in_threadpool(svc.search_upload, data, file.filename or "upload", k)
    return {"hits": hits}


@router.post("/describe", tags=["describe"], summary="Describe an uploaded image at every level")
async def describe(request: Request, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    svc = service(request)
    data = await _read(request, file, svc.max_upload)
    return await run_in_threadpool(svc.describe_upload, data, file.filename or "upload")


@router.get("/images", tags=["images"], summary="The indexed images, in id order (a page of them)")
def images(
    request: Request,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    svc = service(request)
    by_id = svc.collection.catalogue().by_id
    ids = list(by_id)[offset : offset + limit]
    return {"total": len(by_id), "images": [svc.named_id(i) for i in ids]}


@router.get("/images/{image_id}", tags=["images"], summary="One image: texts per level, facts, tags")
def image(request: Request, image_id: int) -> dict[str, Any]:
    return service(request).collection.image(image_id)


@router.get(
    "/images/{image_id}/thumbnail",
    tags=["images"],
    summary="A JPEG of the image, its longer side at most `size` pixels",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def thumbnail(request: Request, image_id: int, size: Annotated[int, Query(ge=32, le=1024)] = 256) -> Response:
    data = service(request).collection.thumbnail(image_id, size)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})


@router.get("/images/{image_id}/attention", tags=["images"], summary="Where each word looked (bundles)")
def attention(request: Request, image_id: int, level: str = "layout") -> dict[str, Any]:
    svc = service(request)
    path = svc.collection.indexed_file(image_id)
    return dict(svc.side().attention(svc.model(), path, level))


@router.post("/compare", tags=["compare"], summary="Two to eight images: what they share, pair differences")
def compare(
    request: Request,
    ids: Annotated[list[StrictInt], Body(description="Indexed image ids, 2 to 8.")],  # not true as 1
    level: Annotated[str, Body(description="The level of the set summary.")] = "caption",
) -> dict[str, Any]:
    return service(request).compare(ids, level)


@router.get("/duplicates", tags=["compare"], summary="Near-duplicate groups of the whole index")
def duplicates(request: Request) -> dict[str, Any]:
    return {"groups": service(request).duplicates()}


@router.get("/clusters", tags=["compare"], summary="Clusters of the whole index, each with its label")
def clusters(request: Request) -> dict[str, Any]:
    return {"clusters": service(request).clusters()}


@router.get(
    "/outliers",
    tags=["compare"],
    summary="The images far from the rest or showing nothing the rest shows, farthest first",
)
def outliers(request: Request) -> dict[str, Any]:
    return {"outliers": service(request).outliers()}
