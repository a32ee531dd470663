"""Soak the index (issue 27): N runs of `index` killed with kill -9 at random moments and resumed, with
files added, changed, moved and deleted between runs and the FAISS files damaged now and then; then M
random queries. Prints lost / duplicated / FAISS disagreements / errors; exits 1 when any is not 0.

    .venv/bin/python benchmarks/soak.py                       # 20 runs, 10,000 queries: a few minutes
    .venv/bin/python benchmarks/soak.py --runs 5 --queries 500 --seed 3

Each run starts a fresh process (torch imported ahead, while the previous run works) that indexes the
folder slowly enough to be killed mid-run, while this process searches the index (a reader beside the
writer); this process then resumes the index and checks it: every file on disk live exactly once, nothing
else live, and each FAISS file with the checksum recorded for it and every live id.

The queries mix WordNet words, relations, FTS5 syntax, quotes, control characters and random Unicode, at
random k and levels, through the grounded model (without the people detector) over the example photos,
plus image queries on the soaked index; a refusal ("nothing in the index matches", "nothing to search for
in") is an answer, any other exception an error.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from multicap.errors import ConfigError
from multicap.index import search_index
from multicap.index.build import index_paths
from multicap.index.models import open_model
from multicap.index.schema import FTS_COLUMNS
from multicap.index.search import REFUSALS
from multicap.index.store import IndexStore
from multicap.index.sync import faiss_path
from multicap.index.vectors import load_index

REPO = Path(__file__).resolve().parents[1]
_INDEX = """
import sys, time
from pathlib import Path
from multicap.index.build import index_paths
from multicap.index.models import open_model
model = open_model("labels", encoder="tiny")
print("ready", flush=True)
sys.stdin.readline()
index_paths(Path(sys.argv[1]), [Path(sys.argv[2])], model, batch_size=4, commit_every=4,
            progress=lambda n: time.sleep(float(sys.argv[3]) * n))
print("done", flush=True)
"""
WORDS = [
    "dog", "red", "car", "on", "left", "of", "the", "beach", "espresso", "cup", "two", "a", "and", "or",
    "not", "AND", "OR", "NOT", "NEAR", "NEAR(", "*", "^", ":", "{object}", '"', "'", "(", ")", "-", "+",
    "\x00", "\n", "\t", "🐶", "ümlaut", "人", "x" * 300, "in front of", "next to", "blue-green", "o'clock",
    "person", "wearing", "bicycle", "tree", "sky", "green", "under", "above", "right", "three", "%", "_",
]  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="killed-and-resumed index runs (N)")
    ap.add_argument("--queries", type=int, default=10_000, help="random text queries (M)")
    ap.add_argument("--images", type=int, default=40, help="images in the folder at the start")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="multicap-soak-"))
    try:
        start = time.perf_counter()
        kills = _soak_index(work, args.runs, args.images, rng)
        print(f"index: {kills.summary()} in {time.perf_counter() - start:.0f} s", flush=True)
        start = time.perf_counter()
        queries = _soak_queries(work, kills.root, kills.photos, args.queries, rng)
        print(f"search: {queries.summary()} in {time.perf_counter() - start:.0f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if kills.clean() and queries.errors == 0 else 1


class _Kills:
    def __init__(self, root: Path, photos: Path) -> None:
        self.root, self.photos = root, photos
        self.runs = self.mid_run = self.lost = self.duplicated = self.faiss_mismatch = self.errors = 0
        self.damaged = self.reads = 0
        self.first_error = ""

    def summary(self) -> str:
        shown = f" (first: {self.first_error})" if self.errors else ""
        return (
            f"{self.runs} runs killed ({self.mid_run} before they finished), {self.damaged} FAISS files "
            f"damaged between runs, {self.reads} searches while they ran; lost {self.lost}, duplicated "
            f"{self.duplicated}, FAISS disagreeing {self.faiss_mismatch}, errors {self.errors}{shown}"
        )

    def clean(self) -> bool:
        return self.lost == self.duplicated == self.faiss_mismatch == self.errors == 0


def _soak_index(work: Path, runs: int, images: int, rng: random.Random) -> _Kills:
    photos, root = work / "photos", work / "idx"
    photos.mkdir()
    seeds = iter(range(10**6))
    for _ in range(images):
        _noise(photos / f"img{next(seeds):05d}.png", next(seeds))
    model = open_model("labels", encoder="tiny")
    out = _Kills(root, photos)
    proc = _spawn(root, photos)
    for run in range(runs):
        _mutate(photos, rng, seeds)
        nxt = _spawn(root, photos) if run + 1 < runs else None  # imports torch while this run works
        _go(proc)
        _search_until(time.monotonic() + rng.uniform(0.0, 1.5), root, photos, out)  # a reader meanwhile
        os.kill(proc.pid, signal.SIGKILL)
        said = proc.communicate()[0]
        out.runs += 1
        out.mid_run += "done" not in said
        if rng.random() < 0.25 and faiss_path(root, "image").exists():
            _damage(faiss_path(root, "image"), rng)
            out.damaged += 1
        try:
            index_paths(root, [photos], model, on_error=lambda e: None)
            lost, duplicated, mismatch = _check(root, photos)
        except Exception as exc:  # the soak counts every failure, of any kind
            out.errors += 1
            out.first_error = out.first_error or f"{type(exc).__name__}: {exc}"
        else:
            out.lost, out.duplicated, out.faiss_mismatch = (
                out.lost + lost, out.duplicated + duplicated, out.faiss_mismatch + mismatch,
            )  # fmt: skip
        if nxt is not None:
            proc = nxt
    return out


def _search_until(deadline: float, root: Path, photos: Path, out: _Kills) -> None:
    """Image queries while the writer works: any exception is an error (but for "no index yet")."""
    while time.monotonic() < deadline:
        if not (root / "meta.sqlite").exists():
            time.sleep(0.01)
            continue
        path = sorted(photos.glob("*.png"))[0]
        try:
            search_index(root, image=path, k=5)
            out.reads += 1
        except Exception as exc:  # the soak counts every failure, of any kind
            if "holds no images yet" not in str(exc) and "no index at" not in str(exc):
                out.errors += 1
                out.first_error = out.first_error or f"reader: {type(exc).__name__}: {exc}"


def _spawn(root: Path, photos: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _INDEX, str(root), str(photos), "0.05"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO,
    )  # fmt: skip


def _go(proc: subprocess.Popen) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError("the index process did not start")
    proc.stdin.write("go\n")
    proc.stdin.flush()


def _noise(path: Path, seed: int) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(path)


def _mutate(photos: Path, rng: random.Random, it: Iterator[int]) -> None:
    """Between runs: add a few files, rewrite one, move one, delete one (so runs have work to kill)."""
    for _ in range(rng.randint(4, 12)):
        _noise(photos / f"img{next(it):05d}.png", next(it))
    files = sorted(photos.glob("*.png"))
    picked = rng.sample(files, min(3, len(files)))
    if len(picked) == 3:
        _noise(picked[0], next(it))
        picked[1].rename(photos / f"moved{next(it):05d}.png")
        picked[2].unlink()


def _damage(path: Path, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    kind = rng.choice(["tail", "floats", "truncate", "delete"])
    if kind == "tail":  # the id map
        data[-min(1024, len(data)) :] = os.urandom(min(1024, len(data)))
    elif kind == "floats":
        at = rng.randrange(len(data) // 4, max(len(data) // 2, len(data) // 4 + 1))
        data[at : at + 64] = np.full(16, 1e30, np.float32).tobytes()
    elif kind == "truncate":
        data = data[: len(data) // 2]
    else:
        path.unlink()
        return
    path.write_bytes(bytes(data))


def _check(root: Path, photos: Path) -> tuple[int, int, int]:
    """(lost, duplicated, FAISS files disagreeing with SQLite) after a finished run."""
    files = {str(p.resolve()) for p in photos.glob("*.png")}
    with IndexStore(root / "meta.sqlite") as store:
        rows = store.db.execute("SELECT id, path, deleted FROM images").fetchall()
        entries = store.get_meta("faiss", {})
    paths = [p for _, p, d in rows if not d]
    lost = len(files - set(paths)) + len(set(paths) - files)
    duplicated = len(paths) - len(set(paths))
    live, known = {i for i, _, d in rows if not d}, {i for i, _, _ in rows}
    mismatch = 0
    for space, entry in entries.items():
        vi = load_index(faiss_path(root, space), entry["dim"], entry["factory"], {}, entry.get("sha256"))
        ids = vi.ids().tolist() if vi is not None else []
        # the file may keep deleted rows (filtered at search) until they pass 20% of it
        mismatch += vi is None or len(set(ids)) != len(ids) or not live <= set(ids) <= known
    return lost, duplicated, mismatch


class _Queries:
    def __init__(self) -> None:
        self.queries = self.answered = self.refused = self.errors = 0
        self.first_error = ""

    def summary(self) -> str:
        shown = f" (first: {self.first_error})" if self.errors else ""
        return (
            f"{self.queries} queries: {self.answered} answered, {self.refused} refused in one line, "
            f"errors {self.errors}{shown}"
        )


def _soak_queries(work: Path, kill_root: Path, photos: Path, n: int, rng: random.Random) -> _Queries:
    examples = work / "examples"
    shutil.copytree(REPO / "examples" / "photos", examples, ignore=shutil.ignore_patterns("*.txt", "*.md"))
    root = work / "grounded"
    model = open_model("grounded-no-people")
    index_paths(root, [examples], model, on_error=lambda e: None)
    out = _Queries()
    images = sorted(photos.glob("*.png"))
    for i in range(n):
        out.queries += 1
        try:
            if i % 20 == 19 and images:  # an image query on the soaked index now and then
                search_index(kill_root, image=rng.choice(images), k=rng.randint(1, 60))
            else:
                levels = tuple(rng.sample(FTS_COLUMNS, rng.randint(1, 3))) if rng.random() < 0.3 else None
                search_index(root, _query(rng), k=rng.randint(1, 60), levels=levels, model=model)
            out.answered += 1
        except ConfigError as exc:
            if not str(exc).startswith(REFUSALS) or "\n" in str(exc):
                out.errors += 1
                out.first_error = out.first_error or str(exc)
            out.refused += 1
        except Exception as exc:  # the soak counts every failure, of any kind
            out.errors += 1
            out.first_error = out.first_error or f"{type(exc).__name__}: {exc}"
    return out


def _query(rng: random.Random) -> str:
    if rng.random() < 0.3:  # random Unicode, control characters included (no lone surrogates: not text)
        points = [
            rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xD7FF)]) for _ in range(rng.randint(0, 40))
        ]
        return "".join(map(chr, points))
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 8)))


if __name__ == "__main__":
    sys.exit(main())
