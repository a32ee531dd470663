"""`multicap serve` under load: N clients searching by text over loopback for a bounded time.

    python benchmarks/serve_load.py --source indexes/demo --size 10000 --clients 8 --seconds 60 [--workers 2]

Takes an index built by `multicap index` (--source), and with --size grows a copy of it to that many
images: each new row is a stored row of the source (its texts, facts, tags) with its vectors jittered
(Gaussian, sigma 0.02, then unit length) and a hard link to its file under a new name, written through
`IndexStore.add` and `sync_vectors` as `multicap index` writes them (the FAISS layout chosen by size).
Then starts `multicap serve` on a free loopback port, measures the time from the start of the process to
the first page answered (`GET /` with the search box), warms up, and drives the clients: each sends
`GET /api/search?q=...` with a query drawn from a fixed list, one request after the other. Prints p50/p95
latency, requests per second, errors, and the load average of the machine during the run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from multicap.index.location import write_lock
from multicap.index.query_side import QUERY_FILE, WORDS_FILE
from multicap.index.store import ImageRecord, IndexStore
from multicap.index.sync import sync_vectors

QUERIES = [
    "espresso", "a rocket", "cat", "red circle", "person in orange", "camera on a tripod", "blue star",
    "dog on the beach", "a red car", "coffee cup", "tabby cat on a sofa", "astronaut", "space shuttle",
    "a man with a hat", "green triangle", "two people on the left", "mug", "photographer", "launch pad",
    "a small yellow square", "something white", "a face", "tree", "cup of coffee on a table", "tabby",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[1]


def grow(source: Path, target: Path, size: int, seed: int = 0) -> int:
    """A copy of the index at `source` in `target`, grown to `size` images (see the module docstring)."""
    target.mkdir(parents=True)
    shutil.copy(source / "meta.sqlite", target / "meta.sqlite")
    for name in (QUERY_FILE, WORDS_FILE):
        if (source / name).is_file():
            shutil.copy(source / name, target / name)
    files = target / "files"
    files.mkdir()
    rng = np.random.default_rng(seed)
    with write_lock(target), IndexStore(target / "meta.sqlite") as store:
        known = list(store.live_files().values())
        records = [r for r in (store.record_by_hash(k.hash) for k in known) if r is not None]
        batch: list[ImageRecord] = []
        for i in range(store.count(), size):
            rec = records[i % len(records)]
            path = files / f"{i:06d}{Path(rec.path).suffix}"
            os.link(rec.path, path)
            st = path.stat()
            vectors = {}
            for space, v in rec.vectors.items():
                w = v + rng.normal(0, 0.02, v.shape).astype(np.float32)
                vectors[space] = w / np.linalg.norm(w)
            batch.append(ImageRecord(
                str(path.resolve()), st.st_mtime_ns, st.st_size, f"{rec.hash}-{i}", rec.width, rec.height,
                rec.texts, rec.confidence, rec.facts, rec.tags, vectors,
            ))  # fmt: skip
            if len(batch) == 1000:
                store.add(batch)
                batch = []
        if batch:
            store.add(batch)
        sync_vectors(target, store)
        return store.count()


def start(root: Path, workers: int = 1) -> tuple[subprocess.Popen, str, float]:
    """`multicap serve` on a free port: (process, URL, seconds from its start to the first page)."""
    exe = Path(sys.executable).parent / "multicap"
    t0 = time.perf_counter()
    command = [str(exe), "serve", "--index", str(root), "--port", "0", "--workers", str(workers)]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stderr is not None
    match = re.search(r"at (http://127\.0\.0\.1:\d+) ", proc.stderr.readline())
    if match is None:
        proc.kill()
        raise SystemExit("multicap serve did not start")
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    url = match.group(1)
    page = httpx.get(url + "/", timeout=60)
    first = time.perf_counter() - t0
    assert page.status_code == 200 and 'name="q"' in page.text
    return proc, url, first


def drive(url: str, clients: int, seconds: float) -> tuple[list[float], int]:
    """Each client searches in a loop until `seconds` have passed: (latencies in s, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def client(n: int) -> None:
        rng = np.random.default_rng(n)
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.perf_counter() < end:
                q = QUERIES[int(rng.integers(len(QUERIES)))]
                t = time.perf_counter()
                try:  # a 400 is an answer (a query with no usable word), not a server's failure
                    ok = http.get("/api/search", params={"q": q, "k": 20}).status_code in (200, 400)
                except httpx.HTTPError:
                    ok = False
                took = time.perf_counter() - t
                with lock:
                    latencies.append(took)
                    errors[0] += not ok

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, required=True, help="An index folder built by `multicap index`.")
    ap.add_argument("--size", type=int, default=0, help="Grow a copy of it to this many images (0: as is).")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=3.0, help="Seconds of searching before the clock starts.")
    ap.add_argument("--workers", type=int, default=1, help="`multicap serve --workers`.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="serve-load-") as tmp:
        root = args.source
        if args.size:
            t = time.perf_counter()
            n = grow(args.source, Path(tmp) / "grown", args.size)
            root = Path(tmp) / "grown"
            print(f"index: {n:,} images (grown from {args.source} in {time.perf_counter() - t:.1f} s)")
        proc, url, first = start(root, args.workers)
        try:
            print(f"first page: {first:.2f} s after `multicap serve` started")
            drive(url, args.clients, args.warmup)  # every worker loads its FAISS files and reads its facts
            load_before = os.getloadavg()[0]
            latencies, errors = drive(url, args.clients, args.seconds)
            load_after = os.getloadavg()[0]
            info = httpx.get(url + "/api/info", timeout=60).json()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(
        f"search: {len(ms):,} requests from {args.clients} clients to {args.workers} worker(s) in "
        f"{args.seconds:.0f} s "
        f"({len(ms) / args.seconds:.1f}/s); p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ms[-1]:.1f} ms; errors {errors}"
    )
    print(f"index served: {info['images']:,} images; FAISS loads in the worker asked: {info['faiss_loads']}")
    print(f"load average (1 min): {load_before:.2f} before, {load_after:.2f} after the run")


if __name__ == "__main__":
    main()
