"""The REST API of `multicap serve` at its edges: a request naming another host, ids beyond SQLite's
integers, files changed or deleted since indexed, a pair that is a copy, pages of one query, two quick
Ctrl-C. Over real HTTP on loopback or in process, against real indexes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image

from tests.conftest import EXAMPLES, run_cli
from tests.serve.conftest import Served, start_server, stop_server


def test_a_request_by_another_host_name_is_refused(served: Served) -> None:
    """Served on loopback, the API answers only this machine's names: a page whose own name was rebound to
    127.0.0.1 (DNS rebinding) sends that name, and had been answered."""
    port = served.url.rsplit(":", 1)[1]
    evil = served.get("/api/info", headers={"Host": f"evil.example:{port}"})
    assert evil.status_code == 400 and "--allow-host NAME" in evil.json()["error"]
    assert served.get("/api/info", headers={"Host": f"localhost:{port}"}).status_code == 200
    assert served.get("/api/info").status_code == 200  # 127.0.0.1:port
    # another site's page may still send a form here (Host this server's, Origin its own): no change made
    cross = served.post("/api/reload", headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403 and "another site" in cross.json()["error"]
    assert served.post("/api/reload", headers={"Origin": served.url}).status_code == 200
    assert served.post("/api/reload").status_code == 200  # a script sends no Origin
    other_port = served.post("/api/reload", headers={"Origin": "http://127.0.0.1:9"})  # another local app
    assert other_port.status_code == 403, other_port.text
    for path in ("/", f"/api/images/{served.ids['coffee.jpg']}/thumbnail", "/api/info"):  # no framing nor
        said = served.get(path).headers  # embedding by another site (its page had loaded every thumbnail)
        assert said["x-frame-options"] == "DENY" and said["cross-origin-resource-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in said["content-security-policy"]
    proc, url = start_server(served.home, "web", "--allow-host", "Photos.Local")  # a proxy's name
    try:
        assert httpx.get(url + "/api/info", headers={"Host": "photos.local"}, timeout=60).status_code == 200
        assert httpx.get(url + "/api/info", headers={"Host": "other.local"}, timeout=60).status_code == 400
    finally:
        stop_server(proc)


def test_a_server_for_any_host_still_refuses_another_sites_changes(served: Served) -> None:
    """Listening on 0.0.0.0 (any Host header), a POST from another site's page had been taken."""
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    with TestClient(create_app(served.root, load_model=False, hosts=None)) as client:
        assert client.post("/api/reload", headers={"Origin": "http://evil.example"}).status_code == 403
        assert client.post("/api/reload", headers={"Origin": "http://testserver"}).status_code == 200
        assert client.post("/api/reload").status_code == 200


def test_a_proxy_named_with_allow_host_is_answered_off_loopback_too(served: Served) -> None:
    """--allow-host had been ignored off loopback: behind a proxy that sends its own Host (127.0.0.1) and
    the visitor's page as Origin, every change was refused, and a rebound name was answered."""
    from starlette.testclient import TestClient

    from multicap.cli.serve import host_names
    from multicap.serve.app import LOOPBACK_NAMES, create_app

    assert host_names("0.0.0.0", [], LOOPBACK_NAMES) is None  # any name, as asked
    hosts = host_names("0.0.0.0", ["Photos.Example"], LOOPBACK_NAMES)
    assert hosts is not None and "photos.example" in hosts and "127.0.0.1" in hosts
    web = create_app(served.root, load_model=False, hosts=hosts, proxies=("photos.example",))
    with TestClient(web) as client:
        proxied = {"Host": "127.0.0.1:8765", "Origin": "https://photos.example"}
        assert client.post("/api/reload", headers=proxied).status_code == 200
        rebound = {"Host": "evil.example:8765", "Origin": "http://evil.example:8765"}
        assert client.post("/api/reload", headers=rebound).status_code == 400
        other_app = {"Host": "0.0.0.0:8765", "Origin": "http://0.0.0.0:9000"}  # another port of its address
        assert client.post("/api/reload", headers=other_app).status_code == 403


def test_an_id_beyond_sqlite_integers_is_a_404_in_one_line(served: Served) -> None:
    """Ids over 2**63 - 1 had reached SQLite and come back as a plain-text 500 (OverflowError)."""
    for huge in ("99999999999999999999", "9223372036854775808", "-9223372036854775809"):
        for path in (f"/api/images/{huge}", f"/api/images/{huge}/thumbnail", f"/api/search?like={huge}"):
            r = served.get(path)
            assert r.status_code == 404 and "no image with id" in r.json()["error"], (path, r.text)
        assert served.get(f"/image/{huge}").status_code == 404
    r = served.post("/api/compare", json={"ids": [int("9" * 20), served.ids["coffee.jpg"]]})
    assert r.status_code == 404 and "error" in r.json()


def test_a_file_changed_or_deleted_since_indexed_is_said_so(tmp_path: Path) -> None:
    """A photo replaced at its path had been served with the new pixels under the old description (boxes
    drawn over another picture), and a deleted one listed in results with a broken thumbnail and no word:
    each image and hit now says whether its file is as indexed, and search notes say how many are not (as
    `multicap search` warns), with the reason when fewer than k images are found."""
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    folder, home = tmp_path / "photos", tmp_path / "indexes"
    folder.mkdir()
    for name in ("chelsea", "coffee", "astronaut"):
        shutil.copy(EXAMPLES / f"{name}.jpg", folder / f"{name}.jpg")
    env = {"MULTICAP_INDEX_DIR": str(home)}
    assert run_cli("index", str(folder), "--index", "states", "--model", "labels", env=env).returncode == 0
    with TestClient(create_app(home / "states", load_model=False)) as client:
        ids = {im["name"]: im["id"] for im in client.get("/api/images").json()["images"]}
        assert {client.get(f"/api/images/{i}").json()["file"] for i in ids.values()} == {"unchanged"}
        shutil.copy(EXAMPLES / "rocket.jpg", folder / "coffee.jpg")  # another picture at the same path
        (folder / "astronaut.jpg").unlink()
        assert client.get(f"/api/images/{ids['coffee.jpg']}").json()["file"] == "changed"
        assert client.get(f"/api/images/{ids['astronaut.jpg']}").json()["file"] == "gone"
        assert client.get(f"/api/images/{ids['chelsea.jpg']}").json()["file"] == "unchanged"
        assert "changed on disk since it was indexed" in client.get(f"/image/{ids['coffee.jpg']}").text
        gone = client.get(f"/image/{ids['astronaut.jpg']}").text  # no broken picture with boxes on it
        assert "no picture: the file is not on disk" in gone and 'class="box"' not in gone
        body = client.get("/api/search", params={"q": "cup", "k": 3}).json()
        states = {hit["name"]: hit["file"] for hit in body["hits"]}
        assert states == {"chelsea.jpg": "unchanged", "coffee.jpg": "changed", "astronaut.jpg": "gone"}
        assert any("1 result is changed on disk" in n for n in body["notes"])
        assert any("1 result is no longer on disk" in n for n in body["notes"])
        page = client.get("/", params={"q": "cup", "k": 3}).text
        assert "no longer on disk" in page and "changed since indexed" in page


def test_compare_says_which_pair_is_a_copy_and_how_it_was_made(tmp_path: Path) -> None:
    """`multicap compare A B` said a cropped, shrunk copy was a near-duplicate and how it was made; the API's
    compare of the same two ids had neither field, and its page said nothing of it."""
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    folder, home = tmp_path / "photos", tmp_path / "indexes"
    folder.mkdir()
    photo = Image.open(EXAMPLES / "chelsea.jpg").convert("RGB")
    photo.save(folder / "cat.jpg")
    w, h = photo.size
    photo.crop((w // 10, h // 10, w, h)).resize((w // 2, h // 2)).save(folder / "cat copy.jpg")
    photo.transpose(Image.Transpose.ROTATE_90).save(folder / "cat turned.jpg")
    shutil.copy(EXAMPLES / "coffee.jpg", folder / "coffee.jpg")
    env = {"MULTICAP_INDEX_DIR": str(home)}
    assert run_cli("index", str(folder), "--index", "copies", "--model", "labels", env=env).returncode == 0
    cli = run_cli("compare", str(folder / "cat.jpg"), str(folder / "cat copy.jpg"), "--json", env=env)
    said = json.loads(cli.stdout.splitlines()[0])
    assert said["near_duplicate"] and "cropped" in said["copied"]
    with TestClient(create_app(home / "copies", load_model=False)) as client:
        ids = {im["name"]: im["id"] for im in client.get("/api/images").json()["images"]}
        pair = [ids["cat.jpg"], ids["cat copy.jpg"]]
        (only,) = client.post("/api/compare", json={"ids": pair}).json()["pairs"]
        assert only["near_duplicate"] and only["copied"] == said["copied"]
        pairs = client.post("/api/compare", json={"ids": [*pair, ids["coffee.jpg"]]}).json()["pairs"]
        assert [p["near_duplicate"] for p in pairs] == [True, False, False] and "cropped" in pairs[0][
            "copied"
        ]
        page = client.get("/compare", params={"ids": pair}).text
        assert "A near-duplicate: the second is a copy of the first, cropped" in page
        # a copy turned a quarter, in a set: grouped as `multicap compare` groups it (it had been left out)
        turned = [ids["cat.jpg"], ids["cat turned.jpg"], ids["coffee.jpg"]]
        body = client.post("/api/compare", json={"ids": turned}).json()
        assert body["pairs"][0]["near_duplicate"] and "turned a quarter" in " ".join(
            body["pairs"][0]["copied"]
        )
        assert [sorted(g) for g in body["duplicates"]] == [sorted(body["images"][:2])]


def test_two_quick_ctrl_c_stop_quietly_and_leave_no_folder(served: Served) -> None:
    """A second Ctrl-C 50 ms after the first had logged a traceback (the app's lifespan cancelled) and left
    the uploads folder in /tmp."""
    import glob
    import tempfile
    import time

    pattern = os.path.join(tempfile.gettempdir(), "multicap-serve-*")
    before = set(glob.glob(pattern))
    exe = Path(sys.executable).parent / "multicap"
    proc = subprocess.Popen(
        [str(exe), "serve", "--index", "web", "--port", "0"], stderr=subprocess.PIPE, text=True,
        stdout=subprocess.DEVNULL, env={**os.environ, "MULTICAP_INDEX_DIR": str(served.home)},
    )  # fmt: skip
    try:
        assert proc.stderr is not None and "serving" in proc.stderr.readline()
        mine = set(glob.glob(pattern)) - before
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        said = proc.stderr.read()
        assert proc.wait(60) in (130, -signal.SIGINT)
    finally:
        stop_server(proc)
    assert "Traceback" not in said and "interrupted" in said, said
    assert mine and not any(os.path.exists(folder) for folder in mine)


def test_pages_of_a_query_neither_repeat_nor_skip_an_image(served: Served, monkeypatch) -> None:
    """A deeper search ranks its first hits differently (its candidate depth grows with k), so page 2 as
    the hits 11-20 of a second search had repeated some images of page 1 and skipped others (on 300
    photos: 2 of 10 on both pages). Pages are ranked in tiers (k, 2k, 4k, ...), each adding only new hits:
    the same whoever asks (a ranking kept per query had been replaced by another client's first page) and
    whichever worker answers (it had been kept in one)."""
    from multicap.index.search import Hit, SearchResult
    from multicap.serve.service import Service

    service = Service(served.root, load_model=False)

    def search_text(query, k, levels, model):  # type: ignore[no-untyped-def]
        ids = list(range(60))
        ranked = ids[:k] if k <= 10 else [i for pair in zip(ids[10:], ids, strict=False) for i in pair][:k]
        return SearchResult([Hit(i, f"/nowhere/{i}.jpg", 1.0 / (1 + r)) for r, i in enumerate(ranked)], None)

    other = Service(served.root, load_model=False)  # another worker of the same server
    for s in (service, other):
        monkeypatch.setattr(s.collection, "search_text", search_text)
    try:
        first = service.search("cat", None, 10, None, 0)[1]
        service.search("cat", None, 50, None, 0)  # another client's first page (it had replaced the ranking)
        second = service.search("cat", None, 10, None, 10)[1]
        third = other.search("cat", None, 10, None, 20)[1]  # a third page from the other worker
    finally:
        service.close()
        other.close()
    ids = [h["id"] for page in (first, second, third) for h in page]
    assert len(ids) == 30 and len(set(ids)) == 30, ids
    assert ids[:10] == list(range(10))  # the first page as first given


def test_the_last_pages_of_a_query_are_offered(served: Served, monkeypatch) -> None:
    """The tiers search deeper than a page (2k, 4k, ...): where the deepest came back short, "more" had
    been false although hits ranked past the page were held (a query of 346 hits paged by 7 showed 231)."""
    from multicap.index.search import Hit, SearchResult
    from multicap.serve.service import Service

    service = Service(served.root, load_model=False)

    def search_text(query, k, levels, model):  # type: ignore[no-untyped-def]
        return SearchResult([Hit(i, f"/nowhere/{i}.jpg", 1.0 / (1 + i)) for i in range(min(k, 25))], None)

    monkeypatch.setattr(service.collection, "search_text", search_text)
    try:
        for k in (1, 3, 7, 10, 25, 30):
            ids, offset, more = [], 0, True
            while more:  # as a client pages: until "more" is false
                _, page, more, _ = service.search("cat", None, k, None, offset)
                ids += [h["id"] for h in page]
                offset += k
            assert ids == list(range(25)), (k, ids)
    finally:
        service.close()


def test_an_image_has_one_name_in_every_answer_that_tells_two_files_of_one_name_apart(tmp_path: Path) -> None:
    """Two copies in two folders had both been "gorilla.jpg" on the duplicates page and in search tiles;
    then one image was "gorilla.jpg" in text hits and "sub/gorilla.jpg" in upload hits, as the others
    shown beside it had it: a script could not key on it. Each is now named among the index's files."""
    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    home, folder = tmp_path / "home", tmp_path / "photos"
    for where, name in (("A", "chelsea"), ("B", "chelsea"), ("A", "coffee")):
        (folder / where).mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / f"{name}.jpg", folder / where / f"{name}.jpg")
    env = {"MULTICAP_INDEX_DIR": str(home)}
    assert run_cli("index", str(folder), "--index", "names", "--model", "labels", env=env).returncode == 0
    shown = {"A/chelsea.jpg", "B/chelsea.jpg", "coffee.jpg"}
    with TestClient(create_app(home / "names", load_model=False)) as client:
        listed = {im["id"]: im["name"] for im in client.get("/api/images").json()["images"]}
        assert set(listed.values()) == shown
        for i, name in listed.items():
            assert client.get(f"/api/images/{i}").json()["name"] == name
        liked = next(i for i, n in listed.items() if n == "A/chelsea.jpg")
        text, like = client.get("/api/search", params={"q": "cat"}), client.get(f"/api/search?like={liked}")
        for answer in (text, like):
            hits = answer.json()["hits"]
            assert hits and all(h["name"] == listed[h["id"]] for h in hits), hits
        levelled = client.get(f"/api/search?like={liked}&level=nonsense")  # had been accepted, ignored
        assert levelled.status_code == 400 and "drop it with like" in levelled.json()["error"]
        with open(folder / "A" / "chelsea.jpg", "rb") as f:  # an upload's hits alike
            upload = client.post("/api/search/image", files={"file": ("x.jpg", f, "image/jpeg")}).json()
        assert all(h["name"] == listed[h["id"]] for h in upload["hits"]), upload


def test_the_model_follows_the_index_when_it_is_described_by_another(served: Served, tmp_path: Path) -> None:
    """`multicap index --model labels --reembed` under a running server: search followed the index, but
    /api/describe and image uploads kept answering with the model the server had started with."""
    from types import SimpleNamespace

    from multicap.index.location import DB_NAME
    from multicap.index.store import IndexStore
    from multicap.serve.service import Service

    copy = tmp_path / "idx"
    shutil.copytree(served.root, copy)
    service = Service(copy, load_model=False)

    def open_model(root: Path, device: str) -> str:  # the model named where it is loaded
        with IndexStore(root / DB_NAME) as store:
            return str(store.get_meta("identity")["model"])

    service.side = lambda: SimpleNamespace(open_model=open_model)  # type: ignore[method-assign]
    try:
        first = service.model()
        with IndexStore(copy / DB_NAME) as store:
            store.set_meta(identity={**store.get_meta("identity"), "model": "another"})
        assert service.model() == "another" != first
        assert service.model() == "another"  # loaded once
    finally:
        service.close()


def test_a_name_that_is_not_utf8_is_told_apart_by_its_bytes(tmp_path: Path) -> None:
    """A file named with the byte 0xFF and one named with the four characters "\\xff" had both been
    "bad\\xffname.jpg" in every answer, with nothing to tell them apart; the API now adds FIELD_bytes, as
    `multicap search --json` does."""
    import base64

    from starlette.testclient import TestClient

    from multicap.serve.app import create_app

    home, folder = tmp_path / "home", tmp_path / "photos"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/bad\xffname.jpg"
    shutil.copy(EXAMPLES / "chelsea.jpg", raw)
    shutil.copy(EXAMPLES / "coffee.jpg", folder / "bad\\xffname.jpg")
    env = {"MULTICAP_INDEX_DIR": str(home)}
    assert run_cli("index", str(folder), "--index", "bytes", "--model", "labels", env=env).returncode == 0
    with TestClient(create_app(home / "bytes", load_model=False)) as client:
        listed = client.get("/api/images").json()["images"]
        assert [im["name"] for im in listed] == ["bad\\xffname.jpg"] * 2
        assert sorted("name_bytes" in im for im in listed) == [False, True]
        [odd] = [im for im in listed if "name_bytes" in im]
        assert base64.b64decode(odd["name_bytes"]) == b"bad\xffname.jpg"
        one = client.get(f"/api/images/{odd['id']}").json()
        assert base64.b64decode(one["path_bytes"]) == raw and "name_bytes" in one
        hits = client.get("/api/search", params={"q": "cat"}).json()["hits"]
        assert any(h["id"] == odd["id"] and base64.b64decode(h["path_bytes"]) == raw for h in hits), hits
