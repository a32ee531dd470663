"""`models pull` against a real HTTP server on 127.0.0.1: resumed with Range, checksum refused, 404 said."""

from __future__ import annotations

import hashlib
import threading
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
        self.ranges: list[str | None] = []
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
                body = PAYLOAD[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if outer.cut_at is not None and not start:
                    self.wfile.write(body[: outer.cut_at])  # then the connection drops
                    outer.cut_at = None
                    self.close_connection = True
                    return
                self.wfile.write(body)

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
    with pytest.raises(DataError, match="is not the pinned"):
        pull_file(f"{server.url}/file", "0" * 64, dest)
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_a_missing_file_is_reported(server, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="404"):
        pull_file(f"{server.url}/missing", SHA, tmp_path / "x")
    with pytest.raises(DataError, match="404"):  # the folder it made for nothing is not left behind
        pull_file(f"{server.url}/missing", SHA, tmp_path / "model" / "x")
    assert not (tmp_path / "model").exists()


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
    assert r.returncode == 1 and "is not the pinned" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("models", "pull", "coca-vit-b-32", env=env)
    assert r.returncode == 1 and "--sha256 HEX" in r.stderr
