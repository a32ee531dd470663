"""The web pages: server-rendered HTML (Jinja2, every value escaped) and a little JavaScript
(`static/app.js`: the selection to compare, attention overlays, the describe form). No build step."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from multicap.errors import ConfigError
from multicap.index.query_side import CONCEPT_MODELS
from multicap.index.search import HALF_MET
from multicap.io import shown
from multicap.serve.background import NotReady
from multicap.serve.service import MAX_OFFSET, Service

__all__ = ["error_page", "router"]

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
_ENV.filters["shown"] = shown  # control characters and undecodable bytes of a name escaped; HTML after
templates = Jinja2Templates(env=_ENV)
router = APIRouter(include_in_schema=False)
_BROWSE = 60  # images on the first page when nothing is asked
_LEVELS = ("object", "attribute", "layout", "caption")


def _service(request: Request) -> Service:
    return request.app.state.service


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    info = _service(request).collection
    return templates.TemplateResponse(
        request, name, {"index": info.root.name, "levels": _LEVELS, **context}, status_code=status
    )


def error_page(request: Request, message: str, status: int, headers: dict[str, str] | None) -> HTMLResponse:
    response = _page(request, "error.html", status, message=message, code=status)
    response.headers.update(headers or {})
    return response


def _like_title(svc: Service, like: int) -> str:
    """ "Images like coffee.jpg", by the image's name ("Like image #38" had named it by its id alone)."""
    name = svc.named_id(svc.collection.live_id(like))["name"]
    return f"Images like {name}" if name else f"Images like image #{like}"


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: Annotated[str | None, Query(max_length=1000)] = None,
    like: int | None = None,
    k: Annotated[int, Query(ge=1, le=200)] = 40,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,  # a search refuses more than MAX_OFFSET
) -> HTMLResponse:
    svc = _service(request)
    q = q.strip() if q else None
    hits: list[dict[str, Any]] = []
    notes: list[str] = []
    title = "Latest images"
    after: dict[str, Any] | None = None  # the query of the next page, where there is one
    if q or like is not None:
        title = _like_title(svc, like) if like is not None else f"Results for “{q}”"
        try:
            result, hits, further, _ = svc.search(q, like, k, None, offset)
            notes = svc.search_notes(q, result, hits, offset + k)
            if further and offset + k <= MAX_OFFSET:
                after = {"q": q, "k": k} if q else {"like": like, "k": k}
        except ConfigError as exc:  # the note says why (both q and like: the title had said "Like image")
            notes, title = [str(exc)], "Search"
    else:
        by_id = list(svc.collection.catalogue().by_id)[::-1]  # the latest first, a page at a time
        hits = [svc.named_id(i) for i in by_id[offset : offset + _BROWSE]]
        after = {} if len(by_id) > offset + _BROWSE else None
        k = _BROWSE
    more = None if after is None else "/?" + urlencode({**after, "offset": offset + k})
    if offset and hits:
        title += f" ({offset + 1} to {offset + len(hits)})"
    # where the hits that show the query end and the only nearest begin ("cat": 5 cats, then 35 tiles of
    # anything at a score of 0.02, unmarked); none where all or none show it
    met = [h.get("satisfied", 1.0) >= HALF_MET for h in hits]
    nearer = met.index(False) if False in met and met[0] else None
    return _page(
        request, "search.html", q=q or "", like=like, hits=hits, notes=notes, title=title, more=more,
        nearer=nearer,
    )  # fmt: skip


@router.get("/image/{image_id}", response_class=HTMLResponse)
def image_page(request: Request, image_id: int) -> HTMLResponse:
    svc = _service(request)
    image = svc.collection.image(image_id)
    bundle = svc.collection.identity().get("model") not in CONCEPT_MODELS
    objects = (image["facts"] or {}).get("objects", [])
    return _page(request, "image.html", image=image, objects=objects, bundle=bundle)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, ids: Annotated[list[int], Query()], level: str = "caption"
) -> HTMLResponse:
    result = _service(request).compare(ids, level)
    return _page(request, "compare.html", result=result, level=level)


@router.get("/duplicates", response_class=HTMLResponse)
def duplicates_page(request: Request) -> HTMLResponse:
    svc = _service(request)
    try:
        groups = svc.duplicates()
    except NotReady as exc:
        return _page(request, "waiting.html", what="Near-duplicate groups", message=str(exc))
    return _page(request, "duplicates.html", groups=groups)


@router.get("/clusters", response_class=HTMLResponse)
def clusters_page(request: Request) -> HTMLResponse:
    svc = _service(request)
    try:
        clusters, outliers = svc.clusters(), svc.outliers()
    except NotReady as exc:
        return _page(request, "waiting.html", what="Clusters", message=str(exc))
    return _page(request, "clusters.html", clusters=clusters, outliers=outliers)


@router.get("/describe", response_class=HTMLResponse)
def describe_page(request: Request) -> HTMLResponse:
    return _page(request, "describe.html")
