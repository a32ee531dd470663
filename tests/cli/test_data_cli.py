"""`multicap data scenes` and `multicap data show`, run as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from multicap.data.scenes import ScenesConfig, generate_dataset

MULTICAP = [sys.executable, "-m", "multicap.cli.main"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MULTICAP, *args], capture_output=True, text=True, timeout=120)


def test_scenes_generates_resumes_and_refuses_another_dataset(tmp_path: Path) -> None:
    out = tmp_path / "scenes"
    # 130 scenes: three chunks of work, so the default two worker processes both render.
    first = _run("data", "scenes", "--out", str(out), "--n", "130", "--size", "48", "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert "130 images (130 rendered, 0 already there)" in first.stdout
    assert "vocabulary size" in first.stdout and "level caption" in first.stdout
    assert len(list((out / "images").glob("*.png"))) == 130
    for name in ("captions.jsonl", "karpathy.json", "metadata.json", "coco_captions_train.json"):
        assert (out / name).is_file(), name
    # Two worker processes give the bytes one process gives.
    generate_dataset(tmp_path / "ref", ScenesConfig(n=130, size=48, seed=3), workers=1)
    for path in sorted((out / "images").glob("*.png")):
        assert path.read_bytes() == (tmp_path / "ref" / "images" / path.name).read_bytes()
    assert (out / "captions.jsonl").read_bytes() == (tmp_path / "ref" / "captions.jsonl").read_bytes()

    (out / "images" / "000007.png").unlink()
    again = _run("data", "scenes", "--out", str(out), "--n", "130", "--size", "48", "--seed", "3", "--json")
    assert again.returncode == 0, again.stderr
    stats = json.loads(again.stdout)
    assert (stats["rendered"], stats["skipped"], stats["images"]) == (1, 129, 130)

    refused = _run("data", "scenes", "--out", str(out), "--n", "130", "--size", "48", "--seed", "4")
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("error: ")
        and "--force" in lines[0]
        and "seed 3 -> 4" in lines[0]
    )
    assert "Traceback" not in refused.stderr


def test_show_prints_samples_with_captions_and_fails_clearly(tmp_path: Path) -> None:
    generate_dataset(tmp_path, ScenesConfig(n=6, size=48, seed=0), workers=1)
    shown = _run("data", "show", str(tmp_path), "--n", "2")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].endswith("[train]") or "[" in lines[0]
    assert sum(line.startswith("  caption") for line in lines) == 2
    assert sum(line.startswith("  object") for line in lines) == 2
    every = _run("data", "show", str(tmp_path), "--n", "1", "--all")
    assert sum(line.startswith("  layout") for line in every.stdout.splitlines()) == 3
    missing = _run("data", "show", str(tmp_path / "nowhere"))
    assert (
        missing.returncode == 1
        and missing.stderr.startswith("error: ")
        and "multicap data scenes" in missing.stderr
    )
    bogus = _run("data", "show", str(tmp_path), "--split", "bogus")  # had printed nothing, exit 0; then 1
    assert bogus.returncode == 2 and "'bogus' is no split; the splits are train, val" in bogus.stderr
    held = {json.loads(line)["split"] for line in (tmp_path / "captions.jsonl").read_text().splitlines()}
    empty = next(s for s in ("train", "val", "test", "test_comp") if s not in held)
    none = _run("data", "show", str(tmp_path), "--split", empty)  # a split this dataset has no sample of
    assert none.returncode == 1 and f"no samples in split {empty!r}" in none.stderr
    assert _run("data", "show", str(tmp_path), "--n", "0").returncode == 2


def test_show_says_a_stopped_generation_is_to_be_finished(tmp_path: Path) -> None:
    """A dataset whose generation was killed had been said missing ("generate a dataset")."""
    (tmp_path / "images").mkdir()
    (tmp_path / "metadata.json").write_text(json.dumps({"format": "multicap-scenes", "status": "incomplete"}))
    stopped = _run("data", "show", str(tmp_path))
    assert stopped.returncode == 1 and len(stopped.stderr.strip().splitlines()) == 1, stopped.stderr
    assert "its generation was stopped before the end" in stopped.stderr
    assert f"--out {tmp_path}` that made it again" in stopped.stderr


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    result = _run("data", "scenes", "--n", "many")
    assert result.returncode == 2
    # a negative seed had failed in NumPy's words (exit 1) after writing metadata.json, which then refused
    # the corrected run; a size of 100,000 had run out of memory; bad counts named no option
    bad = [["scenes", "--seed", "-1"], ["scenes", "--workers", "0"], ["sets", "--seed", "-1"]]
    bad += [["sets", "--size", "100000"], ["sets", "--pool", "0"], ["sets", "--pairs", "-2"]]
    bad += [["sets", "--per-cluster", "1"]]  # a "cluster" of one had been summarised "every image shows"
    for args in bad:
        out = tmp_path / "out"
        r = _run("data", *args, "--out", str(out))
        assert r.returncode == 2 and f"Invalid value for '{args[1]}'" in r.stderr, (args, r.stderr)
        assert not out.exists()


def test_sets_writes_tasks_and_rejects_bad_counts(tmp_path: Path) -> None:
    out = tmp_path / "sets"
    args = ["--pairs", "4", "--duplicates", "1", "--clusters", "2", "--per-cluster", "2", "--pool", "10"]
    result = _run("data", "sets", "--out", str(out), *args, "--queries", "3", "--size", "48")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{out}: 4 pairs, 1 duplicates, 2 clusters, 10 pool, 3 queries"
    assert len(list((out / "pairs").glob("*.png"))) == 8 and (out / "queries.jsonl").is_file()
    doc = _run(
        "data", "sets", "--out", str(tmp_path / "j"), *args, "--queries", "3", "--size", "48", "--json"
    )
    assert json.loads(doc.stdout) == {"out": str(tmp_path / "j"), "pairs": 4, "duplicates": 1, "clusters": 2,
                                      "pool": 10, "queries": 3}  # fmt: skip
    bad = _run("data", "sets", "--out", str(tmp_path / "bad"), "--clusters", "7")
    assert bad.returncode == 2 and "Invalid value for '--clusters'" in bad.stderr  # a usage error, named
