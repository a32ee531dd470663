"""`multicap search` from a cold process: the index alone against loading the index's model first.

    .venv/bin/python benchmarks/search_startup.py                      # examples/photos, 7 rounds
    .venv/bin/python benchmarks/search_startup.py --images DIR --rounds 11 --json
    .venv/bin/python benchmarks/search_startup.py --image benchmarks/photos/clock.jpg   # an image query

Builds a grounded index of `--images` in a temporary folder, then alternates, `--rounds` times each, two
fresh processes answering the same text query: `multicap search QUERY --index ROOT` as a user runs it
(the stored class vectors answer it: no torch, no encoder), and the way every search ran before
(`open_index_model(root)` then `search_index(..., model=model)`: torch imported and the encoder built).
Prints each one's median wall time, their ratio, whether torch was imported, the CPU and the load.
With `--image PATH` (a file that is not in the index) the query is that image: the CLI embeds it with the
image side stored with the index (`multicap.index.image_side`, NumPy), the other way with the model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from multicap.index.build import index_paths
from multicap.index.models import open_model

REPO = Path(__file__).resolve().parents[1]
_PROBE = "import sys\n{body}\nprint('TORCH', 'torch' in sys.modules, file=sys.stderr)\n"
_CLI = (
    "from multicap.cli.main import _run\nassert _run(['search', {q!r}, '--index', {root!r}, '-k', '10']) == 0"
)
_CLI_IMAGE = (
    "from multicap.cli.main import _run\n"
    "assert _run(['search', '--image', {q!r}, '--index', {root!r}, '-k', '10']) == 0"
)
_MODEL_IMAGE = (
    "from pathlib import Path\n"
    "from multicap.index import search_index\n"
    "from multicap.index.models import open_index_model\n"
    "root = Path({root!r})\n"
    "hits = search_index(root, image=Path({q!r}), k=10, model=open_index_model(root)).hits\n"
    "print('\\n'.join(f'{{h.score:.4f}}  {{h.path}}' for h in hits))"
)
_MODEL = (
    "from pathlib import Path\n"
    "from multicap.index import search_index\n"
    "from multicap.index.models import open_index_model\n"
    "root = Path({root!r})\n"
    "hits = search_index(root, {q!r}, k=10, model=open_index_model(root)).hits\n"
    "print('\\n'.join(f'{{h.score:.4f}}  {{h.path}}' for h in hits))"
)


def timed(body: str) -> tuple[float, bool]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _PROBE.format(body=body)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "failed")
    return seconds, "TORCH True" in run.stderr


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, default=REPO / "examples" / "photos")
    ap.add_argument("--query", default="dog on the beach")
    ap.add_argument("--image", type=Path, default=None, help="an image query (a file not in the index)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="search_startup_") as tmp:
        root = Path(tmp) / "index"
        report = index_paths(root, [args.images], open_model("grounded"))
        alone, loaded = [], []
        torch_alone = torch_loaded = False
        load_before = os.getloadavg()[0]
        cli, with_model = (_CLI, _MODEL) if args.image is None else (_CLI_IMAGE, _MODEL_IMAGE)
        query = args.query if args.image is None else str(args.image.resolve())
        for _ in range(args.rounds):
            s, t = timed(cli.format(q=query, root=str(root)))
            alone.append(s)
            torch_alone |= t
            s, t = timed(with_model.format(q=query, root=str(root)))
            loaded.append(s)
            torch_loaded |= t
    result = {
        "query": query,
        "images": report.added,
        "rounds": args.rounds,
        "index_alone_s": round(statistics.median(alone), 3),
        "model_loaded_s": round(statistics.median(loaded), 3),
        "speed_up": round(statistics.median(loaded) / statistics.median(alone), 2),
        "torch_imported": {"index_alone": torch_alone, "model_loaded": torch_loaded},
        "cpu": cpu(),
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['images']} images, {args.rounds} rounds, {result['cpu']}, load {result['load']}\n"
            f"  multicap search (index alone): median {result['index_alone_s']:.3f} s, torch imported: "
            f"{torch_alone}\n"
            f"  model loaded first (before):   median {result['model_loaded_s']:.3f} s, torch imported: "
            f"{torch_loaded}\n"
            f"  speed-up {result['speed_up']}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
