"""The REST API of `multicap serve`, over real HTTP on loopback, against a real index and the real model."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image

from multicap.index import search_index
from tests.conftest import EXAMPLES, REPO, run_cli
from tests.serve.conftest import HOSTILE, Served, start_server, stop_server, wait_for


def _index_bytes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir()) if p.is_file()}


def test_text_search_finds_the_photo_and_matches_the_library(served: Served) -> None:
    r = served.get("/api/search", params={"q": "espresso", "k": 5})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert (
        hits[0]["name"] == "coffee.jpg" and hits[0]["thumbnail"] == f"/api/images/{hits[0]['id']}/thumbnail"
    )
    assert "espresso" in hits[0]["texts"]["object"] and r.json()["nearest_only"] is False
    assert hits[0]["satisfied"] == 1.0 and hits[-1]["satisfied"] < 0.5  # how much of the query each shows
    page = served.get("/", params={"q": "espresso", "k": 5}).text  # the nearest set apart, not unmarked
    assert page.index("coffee.jpg") < page.index('id="nearer"') < page.index(hits[-1]["name"])
    assert served.get("/api/search", params={"q": "a red car"}).json()["nearest_only"] is True  # as the CLI
    for query in (
        "espresso",
        "a rocket",
        "cat on a blanket",
    ):  # the cached FAISS files rank as the library does
        api = [h["id"] for h in served.get("/api/search", params={"q": query, "k": 8}).json()["hits"]]
        assert api == [h.id for h in search_index(served.root, query, k=8).hits]


def test_more_like_this_and_an_unknown_word(served: Served) -> None:
    r = served.get("/api/search", params={"like": served.ids["astronaut.jpg"], "k": 3})
    names = [h["name"] for h in r.json()["hits"]]  # the others: the image itself had come first, at 1.0
    assert r.status_code == 200 and len(names) == 3 and "astronaut.jpg" not in names
    r = served.get("/api/search", params={"like": served.ids["chelsea.jpg"], "k": 1})
    assert [h["name"] for h in r.json()["hits"]] == [HOSTILE]  # its copy first
    # a page at a time: offset skips hits (it had been ignored), and the pages add up to one search
    whole = [h["id"] for h in served.get("/api/search", params={"q": "cat", "k": 6}).json()["hits"]]
    pages = [served.get("/api/search", params={"q": "cat", "k": 3, "offset": o}).json() for o in (0, 3)]
    assert [h["id"] for p in pages for h in p["hits"]] == whole and pages[1]["offset"] == 3
    assert pages[0]["index_version"] == pages[1]["index_version"] and len(pages[0]["index_version"]) == 12
    assert served.get("/api/search", params={"q": "cat", "offset": 1001}).status_code == 422
    page = served.get("/", params={"q": "cat", "k": 3}).text
    assert 'id="more" href="/?q=cat&amp;k=3&amp;offset=3"' in page
    assert "(4 to 6)" in served.get("/", params={"q": "cat", "k": 3, "offset": 3}).text
    liked = served.get("/", params={"like": served.ids["chelsea.jpg"]}).text  # had been "Like image #3"
    assert "<h1>Images like chelsea.jpg" in liked
    r = served.get("/api/search", params={"q": "xqzzyv"})
    assert r.status_code == 400 and "xqzzyv" in r.json()["error"]
    assert served.get("/api/search").status_code == 400  # neither q nor like
    # read, but no image answers it: no hits and why, not a bad request (a client library raised on the 400)
    r = served.get("/api/search", params={"q": "grass"})  # no photo here has grass
    assert r.status_code == 200 and r.json()["hits"] == [] and r.json()["more"] is False
    assert r.json()["notes"][0].startswith("nothing in the index matches 'grass'")
    assert len(r.json()["index_version"]) == 12  # as every page of results says it
    r = served.get("/api/search", params={"q": "a woman"})  # "unknown" lists only words not understood
    assert r.json()["unknown"] == [] and "searched as any person" in r.json()["notes"][0], r.text
    r = served.get("/api/search", params={"q": "forest xqzzyv"})  # the unknown word said too, as the CLI does
    assert r.status_code == 200 and r.json()["hits"] == [], r.text
    assert any("xqzzyv" in u for u in r.json()["unknown"]) and r.json()["notes"][-1].startswith("nothing in")


def test_upload_search_and_describe(served: Served) -> None:
    rocket = (EXAMPLES / "rocket.jpg").read_bytes()
    r = served.post("/api/search/image", files={"file": ("mine.jpg", rocket, "image/jpeg")}, params={"k": 3})
    assert r.status_code == 200, r.text
    assert r.json()["hits"][0]["name"] == "rocket.jpg"
    coffee = (EXAMPLES / "coffee.jpg").read_bytes()
    r = served.post("/api/describe", files={"file": ("cup <b>.jpg", coffee, "image/jpeg")})
    body = r.json()
    assert r.status_code == 200, r.text
    assert {"object", "attribute", "layout"} <= set(body["texts"]) and "espresso" in body["texts"]["object"]
    assert body["path"] == "cup <b>.jpg" and body["facts"]["objects"]


def test_bad_and_oversized_uploads_are_refused_in_one_line(served: Served) -> None:
    r = served.post("/api/describe", files={"file": ("notes <b>.png", b"this is not an image", "image/png")})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error.startswith("notes <b>.png: not an image") and "multicap-serve" not in error  # no temp path
    big = b"\0" * (21 * 2**20)
    r = served.post("/api/describe", files={"file": ("big.png", big, "image/png")})
    assert r.status_code == 413 and "over the upload limit of 20,971,520 bytes (20 MiB" in r.json()["error"]
    coffee = (EXAMPLES / "coffee.jpg").read_bytes()  # two files where one is read: the last had been, unsaid
    two = [("file", ("a.jpg", coffee, "image/jpeg")), ("file", ("b.jpg", coffee, "image/jpeg"))]
    r = served.post("/api/describe", files=two)
    assert r.status_code == 400 and "send one file a request (2 were sent" in r.json()["error"], r.text
    text_field = {"other": ("x", b"", "text/plain")}  # multipart, the file given as text (the @ left out)
    r = served.post("/api/search/image", data={"file": "photo.jpg"}, files=text_field)
    assert r.status_code == 422 and "curl -F file=@photo.jpg" in r.json()["error"], r.text  # not "UploadFile"
    assert "UploadFile" not in r.json()["error"]


def test_image_record_and_thumbnail(served: Served) -> None:
    image_id = served.ids["coffee.jpg"]
    r = served.get(f"/api/images/{image_id}")
    body = r.json()
    assert (
        r.status_code == 200
        and body["name"] == "coffee.jpg"
        and body["width"] == Image.open(EXAMPLES / "coffee.jpg").width
    )
    assert set(body["texts"]) >= {"object", "attribute", "layout"} and body["tags"]
    cat = served.get(f"/api/images/{served.ids['chelsea.jpg']}").json()["tags"]  # had been "domestic", "cat",
    assert (
        "domestic cat" in cat and "domestic" not in cat and len(cat) == len(set(cat))
    )  # "cat", "domestic" ...
    r = served.get(f"/api/images/{image_id}/thumbnail", params={"size": 128})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and r.content[:2] == b"\xff\xd8"


def test_compare_a_pair_and_a_set(served: Served) -> None:
    ids = [served.ids["coffee.jpg"], served.ids["rocket.jpg"], served.ids["chelsea.jpg"]]
    r = served.post("/api/compare", json={"ids": ids, "level": "object"})
    body = r.json()
    assert r.status_code == 200, r.text
    assert len(body["pairs"]) == 3 and body["set"]["n_images"] == 3
    first = body["pairs"][0]
    assert first["a"].startswith("coffee.jpg") and "espresso" in first["texts"]["object"]
    assert (first["a_id"], first["b_id"]) == (ids[0], ids[1]) and body["ids"] == ids
    assert any("espresso" in f for f in body["set"]["distinct"][f"coffee.jpg (#{ids[0]})"])
    text = body["set"]["text"]  # names as the rest of the answer, not whole paths
    assert f"only coffee.jpg (#{ids[0]}): " in text and "/" not in text
    assert served.post("/api/compare", json={"ids": ids[:1]}).status_code == 400
    copies = served.post("/api/compare", json={"ids": [ids[2], served.ids[HOSTILE]]}).json()  # chelsea twice
    assert copies["pairs"][0]["near_duplicate"] and not any(copies["set"]["distinct"].values()), copies
    bogus = served.post("/api/compare", json={"ids": ids, "level": "bogus"})  # had been 200, echoed
    assert bogus.status_code == 400 and "level 'bogus' is not one of object" in bogus.json()["error"]
    twice = served.post("/api/compare", json={"ids": [ids[0], ids[0]]})
    assert twice.status_code == 400 and "(2 ids given, 1 different)" in twice.json()["error"]
    unreadable = served.post("/api/compare", json={"ids": "one"})  # FastAPI's 422, in the API's shape
    assert unreadable.status_code == 422 and set(unreadable.json()) == {"error"}, unreadable.text
    assert "Content-Type" not in unreadable.json()["error"]  # JSON was sent: no hint to send JSON
    form = served.post("/api/compare", content=json.dumps({"ids": ids}), headers={"content-type": ""})
    assert form.status_code == 422 and "send JSON with Content-Type: application/json" in form.json()["error"]
    upload = served.post("/api/describe", json={"file": "x.jpg"})  # a file named, not sent
    assert upload.status_code == 422 and "curl -F file=@photo.jpg" in upload.json()["error"], upload.text
    assert served.post("/api/compare", json={"ids": [True, ids[1]]}).status_code == 422  # had compared #1


def test_duplicates_clusters_outliers(served: Served) -> None:
    r = wait_for(lambda: (r := served.get("/api/duplicates")).status_code == 200 and r)
    groups = r.json()["groups"]
    names = [sorted(m["name"] for m in g["members"]) for g in groups]
    assert sorted([HOSTILE, "chelsea.jpg"]) in names
    assert all(isinstance(g["by_keypoints"], bool) for g in groups)  # the CLI's "a copy joined by keypoints"
    clusters = served.get("/api/clusters").json()["clusters"]
    assert clusters and sum(c["size"] for c in clusters) == len(served.ids)
    outliers = served.get("/api/outliers")
    assert outliers.status_code == 200
    assert all(o["outlier_by"] in ("distance", "what it shows") for o in outliers.json()["outliers"])


def test_an_odd_tile_says_why() -> None:
    """The clusters page's tile of the odd one out by what it shows says so; other tiles say nothing."""
    from multicap.serve.pages import _ENV

    tile = _ENV.get_template("tile.html")
    hit = {"id": 3, "thumbnail": "/t/3", "name": "moon.jpg"}
    assert "shows what no other image does" in tile.render(hit={**hit, "outlier_by": "what it shows"})
    assert "shows nothing" not in tile.render(hit={**hit, "outlier_by": "distance"}) + tile.render(hit=hit)


def test_info_and_openapi(served: Served) -> None:
    info = served.get("/api/info").json()
    assert info["images"] == len(served.ids) and info["identity"]["model"] == "grounded"
    schema = served.get("/openapi.json").json()
    assert {"/api/search", "/api/describe", "/api/compare", "/api/duplicates"} <= set(schema["paths"])
    assert "swagger" in served.get("/docs").text.lower()
    assert '"validatorUrl": null' in served.get("/docs").text  # its default badge asks validator.swagger.io
    # errors documented as they come: {"error"} (FastAPI's own 422 schema said {"detail": [...]})
    search = schema["paths"]["/api/search"]["get"]["responses"]
    assert {"400", "404", "422", "503"} <= set(search) and "HTTPValidationError" not in json.dumps(schema)
    assert search["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ApiError")
    assert schema["components"]["schemas"]["ApiError"]["required"] == ["error"]
    for page in ("/docs", "/redoc"):  # offline: their scripts and styles from this server, not a CDN
        html = served.get(page).text
        assert "cdn." not in html and "googleapis" not in html, page
        for src in re.findall(r'(?:src|href)="(/[^"]+)"', html):
            assert served.get(src).status_code == 200, (page, src)
    listed = {r["path"]: r for r in served.get("/api").json()["routes"]}  # had listed none (FastAPI 0.163)
    assert set(listed) == {p for p in schema["paths"] if p.startswith("/api/")} and len(listed) >= 10
    assert listed["/api/search"]["methods"] == ["GET"] and listed["/api/search"]["summary"]


def test_no_request_reads_a_file_outside_the_index(served: Served, tmp_path: Path) -> None:
    for path in (
        "/api/images/999999/thumbnail",
        "/api/images/..%2F..%2F..%2Fetc%2Fpasswd/thumbnail",
        "/api/images/%2Fetc%2Fpasswd",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/../../../etc/passwd",
    ):
        r = served.get(path)
        assert r.status_code in (404, 422), (path, r.status_code)
        assert "root:" not in r.text
    # an indexed file swapped for a link to a file outside the indexed folders is refused
    secret = tmp_path / "secret.jpg"
    shutil.copy(EXAMPLES / "rocket.jpg", secret)
    swapped = served.photos / "swap" / "swapped.jpg"
    kept = tmp_path / "kept.jpg"
    os.replace(swapped, kept)
    try:
        swapped.symlink_to(secret)
        r = served.get(f"/api/images/{served.ids['swapped.jpg']}/thumbnail", params={"size": 64})
        assert r.status_code == 403 and "link" in r.json()["error"]
    finally:
        swapped.unlink()
        os.replace(kept, swapped)
    os.replace(swapped, kept)  # deleted since indexed: gone (410), not refused (it had been 403)
    try:
        r = served.get(f"/api/images/{served.ids['swapped.jpg']}/thumbnail", params={"size": 64})
        assert r.status_code == 410 and "is gone" in r.json()["error"]
        like = served.get("/api/search", params={"like": served.ids["swapped.jpg"], "k": 3})  # had been 403
        assert like.status_code == 200 and like.json()["hits"], like.text  # its stored vectors answer
    finally:
        os.replace(kept, swapped)
    os.replace(swapped, kept)  # emptied since indexed: not the request's fault (it had been a 400)
    try:
        swapped.write_bytes(b"")
        r = served.get(f"/api/images/{served.ids['swapped.jpg']}/thumbnail", params={"size": 64})
        assert r.status_code == 409 and "index its folder again" in r.json()["error"], r.text
    finally:
        os.replace(kept, swapped)
    assert (
        served.get(f"/api/images/{served.ids['swapped.jpg']}/thumbnail", params={"size": 64}).status_code
        == 200
    )


def test_the_server_never_writes_the_index_and_sees_a_new_run(served: Served, tmp_path: Path) -> None:
    home = tmp_path / "indexes"
    shutil.copytree(served.root, home / "copy")
    before = _index_bytes(served.root)
    proc, url = start_server(home, "copy")
    try:
        count = httpx.get(url + "/api/info", timeout=60).json()["images"]
        first = httpx.get(url + "/api/search", params={"q": "espresso"}, timeout=60)
        assert first.status_code == 200
        wait_for(
            lambda: httpx.get(url + "/api/clusters", timeout=60).status_code == 200
        )  # the whole compared
        more = tmp_path / "more"
        more.mkdir()
        shutil.copy(REPO / "examples" / "scenes" / "images" / "000000.png", more / "new scene.png")
        r = run_cli("index", str(more), "--index", "copy", env={"MULTICAP_INDEX_DIR": str(home)})
        assert r.returncode == 0, r.stderr  # the server holds no lock: the writer goes ahead
        info = httpx.get(url + "/api/info", timeout=60).json()
        assert info["images"] == count + 1
        assert info["comparison"]["status"].startswith("out of date")  # had said "ready" for the old index
        names = [im["name"] for im in httpx.get(url + "/api/images", timeout=60).json()["images"]]
        assert "new scene.png" in names
        again = httpx.get(url + "/api/search", params={"q": "espresso"}, timeout=60).json()
        assert again["index_version"] != first.json()["index_version"]  # pages of another ranking: said
    finally:
        stop_server(proc)
    assert _index_bytes(served.root) == before  # the first server, used by every test, wrote nothing


def test_default_commands_never_import_the_web_stack() -> None:
    code = (
        "import sys\nfrom multicap.cli.main import _run\n"
        "_run(['--help'])\n"
        "web = ('fastapi', 'uvicorn', 'starlette', 'multicap.serve')\n"
        "print(sorted(m for m in web if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "[]", r.stdout + r.stderr


def test_serve_without_the_extra_says_how_to_install_it() -> None:
    code = "import sys\nsys.modules['fastapi'] = None\nfrom multicap.cli.main import run\nrun()\n"
    r = subprocess.run(
        [sys.executable, "-c", code, "serve"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert r.returncode == 1 and r.stdout == ""
    extra = "pip install -e '.[serve]' in multicap's folder"
    assert r.stderr.strip() == f"error: multicap serve needs the serve extra: {extra}"


def test_serve_refuses_a_missing_index(tmp_path: Path) -> None:
    r = run_cli("serve", "--index", "nothing", env={"MULTICAP_INDEX_DIR": str(tmp_path)})
    assert r.returncode == 1 and "no index at" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert json.dumps(r.stdout) == '""'


def test_serve_on_a_port_in_use_says_so_in_one_line(served: Served) -> None:
    """uvicorn printed a traceback and exited 3."""
    port = served.url.rstrip("/").rsplit(":", 1)[1]
    r = run_cli("serve", "--index", str(served.root), "--port", port)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the parent's pid follows the state
            found.add(int(stat.parent.name))
    return found


def test_workers_share_one_port_answer_alike_and_stop_together(served: Served) -> None:
    proc, url = start_server(served.home, "web", "--workers", "2")
    try:
        workers = wait_for(lambda: (kids := _children(proc.pid)) and len(kids) >= 2 and kids)
        for query in ("espresso", "a cat", "rocket"):
            alone = served.get("/api/search", params={"q": query, "k": 5}).json()
            for _ in range(4):  # fresh connections: either worker may take them
                shared = httpx.get(url + "/api/search", params={"q": query, "k": 5}, timeout=120).json()
                assert [h["id"] for h in shared["hits"]] == [h["id"] for h in alone["hits"]]
        proc.send_signal(signal.SIGINT)  # Ctrl-C: as one worker, exit 130 (it had been 0, unsaid)
        assert proc.wait(60) == 130
    finally:
        stop_server(proc)
    assert proc.returncode is not None
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), seconds=30)


def test_a_sigterm_stops_one_worker_or_two_with_exit_0(served: Served) -> None:
    """A service manager's stop: exit 0 once stopped, however many workers (one had ended by the signal,
    143 in a shell, two with 0)."""
    for workers in ("1", "2"):
        proc, url = start_server(served.home, "web", "--workers", workers)
        try:
            assert httpx.get(url + "/api/search", params={"q": "cat"}, timeout=120).status_code == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, workers
        finally:
            stop_server(proc)


def test_an_id_from_before_a_file_was_described_again_still_reaches_it(tmp_path: Path) -> None:
    """Describing a file again (a new describer, an edit) gives it a new row and id; a link made with the
    old id answered 404. The old id now reaches the file's live row, and says its new id."""
    from multicap.serve.collection import Collection

    folder, home = tmp_path / "photos", tmp_path / "indexes"
    folder.mkdir()
    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    photo.save(folder / "cat.jpg")
    env = {"MULTICAP_INDEX_DIR": str(home)}
    assert run_cli("index", str(folder), "--index", "ids", "--model", "labels", env=env).returncode == 0
    [old] = list(Collection(home / "ids").catalogue().by_id)
    photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "cat.jpg")  # an edit: described again
    assert run_cli("index", str(folder), "--index", "ids", "--model", "labels", env=env).returncode == 0
    collection = Collection(home / "ids")
    [new] = list(collection.catalogue().by_id)
    assert new != old and collection.image(old)["id"] == new
    assert collection.indexed_file(old) == (folder / "cat.jpg").resolve()
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    with TestClient(create_app(home / "ids", load_model=False)) as client:  # had said "two readable images"
        r = client.post("/api/compare", json={"ids": [old, new]})
        assert r.status_code == 400 and f"ids {old} and {new} are one image (cat.jpg)" in r.json()["error"]


def test_a_compare_with_a_file_deleted_since_indexed_compares_the_rest(tmp_path: Path) -> None:
    """One deleted file among three had failed the whole comparison (410); two deleted of two still do."""
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    folder, home = tmp_path / "photos", tmp_path / "indexes"
    folder.mkdir()
    for name in ("coffee.jpg", "chelsea.jpg", "rocket.jpg"):
        shutil.copy(EXAMPLES / name, folder / name)
    env = {"MULTICAP_INDEX_DIR": str(home)}
    assert run_cli("index", str(folder), "--index", "g", "--model", "labels", env=env).returncode == 0
    (folder / "rocket.jpg").unlink()
    with TestClient(create_app(home / "g", load_model=False)) as client:
        ids = {im["name"]: im["id"] for im in client.get("/api/images").json()["images"]}
        r = client.post("/api/compare", json={"ids": list(ids.values())})
        assert r.status_code == 200 and len(r.json()["pairs"]) == 1, r.text
        assert any("rocket.jpg is gone" in f for f in r.json()["failed"]), r.json()["failed"]
        pair = client.post("/api/compare", json={"ids": [ids["rocket.jpg"], ids["coffee.jpg"]]})
        assert pair.status_code == 410, pair.text


def test_an_index_moved_away_while_served_is_a_503_in_one_line(served: Served, tmp_path: Path) -> None:
    """The index folder moved (or deleted to be built again) under a running server: a search had been a
    bare 500 with a traceback in the log. In process, on a copy of the served index."""
    import shutil

    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    copy = tmp_path / "idx"
    shutil.copytree(served.root, copy)
    with TestClient(create_app(copy, load_model=False)) as client:
        assert client.get("/api/search", params={"q": "espresso"}).status_code == 200
        copy.rename(tmp_path / "moved")
        r = client.get("/api/search", params={"q": "a cat"})
        assert r.status_code in (400, 503), r.text
        assert set(r.json()) == {"error"} and "\n" not in r.json()["error"]
        page = client.get("/", params={"q": "a cat"})
        assert page.status_code in (400, 503) and "Traceback" not in page.text
        info = client.get("/api/info")  # as every route: not a 400 "no index at ...; build one"
        assert info.status_code == 503 and "is read when back" in info.json()["error"], info.text
        (tmp_path / "moved").rename(copy)
        assert client.get("/api/search", params={"q": "espresso"}).status_code == 200  # back: read again
        copy.rename(tmp_path / "moved")
        copy.mkdir()  # emptied to be built again: the server had written an empty meta.sqlite into it
        for path in ("/api/search?q=a+cat", "/api/images", "/api/info", "/?q=a+cat"):
            assert client.get(path).status_code == 503, path
        assert list(copy.iterdir()) == []


def test_a_damaged_index_is_a_500_that_says_to_build_it_again(served: Served, tmp_path: Path) -> None:
    """A text column overwritten with bytes that are no text (a damaged page): every route had been a 503
    "cannot be read now (... <the bytes> ...): moved, or being built again? It is read when back", which
    it never would be. In process, on a copy of the served index."""
    import shutil
    import sqlite3

    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    copy = tmp_path / "idx"
    shutil.copytree(served.root, copy)
    with sqlite3.connect(copy / "meta.sqlite") as conn:
        conn.execute("UPDATE images SET said_by = CAST(x'fffe41c3' AS TEXT)")
    with TestClient(create_app(copy, load_model=False)) as client:
        info = client.get("/api/info")
        assert info.status_code == 500 and set(info.json()) == {"error"}, info.text
        said = info.json()["error"]
        assert "is not a readable multicap index" in said and "rebuild it" in said and "when back" not in said


def test_head_is_answered_and_a_chunked_upload_over_the_limit_is_413(served: Served, tmp_path: Path) -> None:
    """HEAD had been 405 on every page (link checkers, monitors); a body over the limit sent without a
    Content-Length (chunked) had been 400 "There was an error parsing the body". In process, on a copy."""
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    copy = tmp_path / "idx"
    shutil.copytree(served.root, copy)
    with TestClient(create_app(copy, load_model=False, max_upload=1000)) as client:
        for path in ("/", "/api/info", f"/api/images/{served.ids['coffee.jpg']}/thumbnail"):
            head, get = client.head(path), client.get(path)
            assert head.status_code == get.status_code == 200 and head.content == b"", path
        boundary = "b0undary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
                f"Content-Type: image/png\r\n\r\n"
            ).encode()
            + b"x" * 200_000
            + f"\r\n--{boundary}--\r\n".encode()
        )

        def chunks():  # no Content-Length: chunked
            for at in range(0, len(body), 8192):
                yield body[at : at + 8192]

        r = client.post("/api/describe", content=chunks(),
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
        assert r.status_code == 413 and "over the upload limit" in r.json()["error"], r.text
