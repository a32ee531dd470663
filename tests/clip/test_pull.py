"""`models pull` against a real HTTP server on 127.0.0.1: resumed with Range, checksum refused, 404 said."""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from multicap.catalog import pull_model
from multicap.encoders.clip_models import CLIP_MODELS
from multicap.errors import DataError
from multicap.weights_pull import pull_file
from tests.conftest import run_cli

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Server:
    """Serves PAYLOAD at any path but /missing; honours Range; `cut_at` ends the first full answer early."""

    def __init__(self) -> None:
        self.cut_at: int | None = None
        self.slow = False  # sends in 64 KiB pieces 10 ms apart (a pull still running when another starts)
        self.ranges: list[str | None] = []
        self.payload, self.etag = PAYLOAD, ""  # what it serves; its ETag, if it sends one (honours If-Range)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.ranges.append(self.headers.get("Range"))
                if self.path.endswith("/missing"):
                    self.send_error(404, "Not Found")
                    return
                start = (
                    int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
                )
                if self.headers.get("If-Range", outer.etag) != outer.etag:  # changed since: sent whole
                    start = 0
                body = outer.payload[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                if outer.etag:
                    self.send_header("ETag", outer.etag)
                self.end_headers()
                if outer.cut_at is not None and not start:
                    self.wfile.write(body[: outer.cut_at])  # then the connection drops
                    outer.cut_at = None
                    self.close_connection = True
                    return
                for at in range(0, len(body), 1 << 16) if outer.slow else [0]:
                    self.wfile.write(body[at : at + (1 << 16)] if outer.slow else body)
                    time.sleep(0.01 if outer.slow else 0)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.httpd.shutdown()


def test_a_cut_download_resumes_with_a_range_request(server, tmp_path: Path) -> None:
    dest = tmp_path / "w" / "model.safetensors"
    server.cut_at = 300_000
    with pytest.raises(DataError, match="run the same command again to resume"):
        pull_file(f"{server.url}/file", SHA, dest)
    part = dest.with_name(dest.name + ".part")
    assert part.stat().st_size == 300_000 and not dest.exists()
    seen: list[int] = []
    assert pull_file(f"{server.url}/file", SHA, dest, progress=lambda done, total: seen.append(done)) == dest
    assert dest.read_bytes() == PAYLOAD and not part.exists()
    assert server.ranges[-1] == "bytes=300000-" and seen[-1] == len(PAYLOAD)


def test_a_checksum_mismatch_is_refused_and_the_file_deleted(server, tmp_path: Path) -> None:
    dest = tmp_path / "model.safetensors"
    with pytest.raises(DataError, match="is not the expected"):
        pull_file(f"{server.url}/file", "0" * 64, dest)
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_a_missing_file_is_reported(server, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="404"):
        pull_file(f"{server.url}/missing", SHA, tmp_path / "x")
    with pytest.raises(DataError, match="404"):  # the folder it made for nothing is not left behind
        pull_file(f"{server.url}/missing", SHA, tmp_path / "model" / "x")
    assert not (tmp_path / "model").exists()


def test_two_pulls_of_one_file_at_once_give_one_verified_file(server, tmp_path: Path) -> None:
    """Two pulls shared one .part: the second wrote into it behind the first, which verified and renamed
    it, so the file said verified held more bytes than the pinned one. Now the second waits for the
    first, then finds its file."""
    dest = tmp_path / "w" / "model.safetensors"
    server.slow = True
    done: list[Path | BaseException] = []

    def pull() -> None:
        try:
            done.append(pull_file(f"{server.url}/file", SHA, dest))
        except BaseException as exc:  # reported by the assert below
            done.append(exc)

    threads = [threading.Thread(target=pull) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.05)  # the second starts while the first downloads
    for t in threads:
        t.join(30)
    assert done == [dest, dest] and dest.read_bytes() == PAYLOAD
    assert len(server.ranges) == 1  # one download, not two
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.safetensors"]  # no .lock left


def test_a_mirror_that_is_no_url_and_a_server_error_are_said(server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MULTICAP_PULL_MIRROR", "notaurl")
    with pytest.raises(DataError, match=r"not a URL .*check MULTICAP_PULL_MIRROR"):
        pull_file("https://example.org/file", SHA, tmp_path / "m" / "x")
    assert not (tmp_path / "m").exists()


def test_a_part_of_a_file_changed_since_is_not_resumed(server, tmp_path: Path) -> None:
    """A cut download of one version, then the server's file replaced: the resume asks If-Range, gets the
    new file whole and verifies it (the old part had been completed with the new file's tail and refused)."""
    dest = tmp_path / "model.safetensors"
    server.etag, server.cut_at = '"v1"', 300_000
    with pytest.raises(DataError, match="run the same command again"):
        pull_file(f"{server.url}/file", SHA, dest)
    assert (tmp_path / "model.safetensors.part.etag").read_text() == '"v1"'
    new = bytes(reversed(PAYLOAD))
    server.payload, server.etag = new, '"v2"'
    assert pull_file(f"{server.url}/file", hashlib.sha256(new).hexdigest(), dest).read_bytes() == new
    assert server.ranges[-1] == "bytes=300000-"  # asked to resume; answered whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]
    server.payload, server.etag, server.cut_at = PAYLOAD, '"v1"', 300_000  # the same file: resumed
    with pytest.raises(DataError):
        pull_file(f"{server.url}/file", SHA, tmp_path / "again")
    assert pull_file(f"{server.url}/file", SHA, tmp_path / "again").read_bytes() == PAYLOAD
    assert server.ranges[-1] == "bytes=300000-"


def test_a_mirror_keeps_its_own_path(monkeypatch) -> None:
    """A mirror served under a path ("https://host/hf") had lost it: every pull asked the host's root."""
    from multicap.weights_pull import mirrored

    url = "https://huggingface.co/timm/vit/resolve/main/open_clip_model.safetensors"
    monkeypatch.setenv("MULTICAP_PULL_MIRROR", "http://127.0.0.1:8000/hf/")
    assert mirrored(url) == "http://127.0.0.1:8000/hf/timm/vit/resolve/main/open_clip_model.safetensors"
    monkeypatch.setenv("MULTICAP_PULL_MIRROR", "http://127.0.0.1:8000")
    assert mirrored(url) == "http://127.0.0.1:8000/timm/vit/resolve/main/open_clip_model.safetensors"


def test_a_malformed_checksum_is_refused_before_any_connection() -> None:
    from multicap.catalog import pull_model
    from multicap.errors import ConfigError

    with pytest.raises(ConfigError, match="64 hexadecimal digits"):
        pull_model("coca-vit-b-32", sha256="abc")


def test_pull_model_uses_the_pin_through_a_mirror(server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MULTICAP_PULL_MIRROR", server.url)
    monkeypatch.setenv("MULTICAP_WEIGHTS_DIR", str(tmp_path))
    # the served bytes are not the pinned ViT-B-32 file: refused, nothing kept
    with pytest.raises(DataError, match=CLIP_MODELS["clip-vit-b-32"].weights.sha256 or ""):
        pull_model("clip-vit-b-32")
    assert not any(tmp_path.rglob("*.safetensors"))
    # a model without a pin takes the user's checksum (from the file's page)
    path = pull_model("siglip-vit-b-16", sha256=SHA)
    assert (
        path == tmp_path / "siglip-vit-b-16" / "open_clip_model.safetensors" and path.read_bytes() == PAYLOAD
    )


def test_pull_cli_refuses_a_mismatch_in_one_line(server, tmp_path: Path) -> None:
    env = {"MULTICAP_PULL_MIRROR": server.url, "MULTICAP_WEIGHTS_DIR": str(tmp_path)}
    r = run_cli("models", "pull", "clip-vit-b-32", env=env)
    assert r.returncode == 1 and "is not the expected" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("models", "pull", "coca-vit-b-32", env=env)
    assert r.returncode == 1 and "--sha256 HEX" in r.stderr
    r = run_cli("models", "pull", "coca-vit-b-32", "--sha256", "xyz", env=env)  # bad usage (had been 1)
    assert r.returncode == 2 and "64 hexadecimal digits" in r.stderr
