"""METEOR 1.5 through the jar that the `pycocoevalcap` package ships, as coco-caption runs it.

METEOR's stemmer, synonym and paraphrase tables live in the jar, so the score is the jar's: multicap
starts it once per call (`java -jar -Xmx2G meteor-1.5.jar - - -stdio -l en -norm`, from the jar's folder),
asks it for the statistics of each candidate against its references (`SCORE ||| ref ||| ... ||| cand`),
then for the scores of all of them at once (`EVAL ||| stats ||| ...`: one line per image, then the corpus
score). `meteor_groups` scores several sets (a captioner's levels) in one start of the jar, which takes
seconds: four levels took 25 s with a start each, against 3.5 s for every other metric.

The jar is found inside the installed `pycocoevalcap` package without importing it. When `java` is not on
the PATH, or the package is not installed, or the jar fails, METEOR is *unavailable*: the result carries
the reason in one line and no score (never 0.0), and every other metric still runs.

pycocoevalcap stays optional for users: `pip install -e '.[meteor]'` adds it (it also pulls
pycocotools, a compiled package, which is why it is not a core dependency); the `dev` extra has it too,
so that the tests can compare every metric with the reference implementation.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from multicap.evaluation.metric import MetricResult, check_inputs

__all__ = ["find_meteor_jar", "meteor", "meteor_groups"]

_JAR = Path("meteor") / "meteor-1.5.jar"
_PARAPHRASES = Path("meteor") / "data" / "paraphrase-en.gz"


def find_meteor_jar() -> tuple[Path | None, str | None]:
    """The METEOR 1.5 jar inside the installed pycocoevalcap package, or None and the reason it is missing."""
    try:
        spec = importlib.util.find_spec("pycocoevalcap")  # locates the package; runs none of its code
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None, "pycocoevalcap is not installed (pip install -e '.[meteor]' in multicap's folder)"
    for root in spec.submodule_search_locations:
        jar = Path(root) / _JAR
        if jar.is_file() and (Path(root) / _PARAPHRASES).is_file():
            return jar, None
    return None, "the installed pycocoevalcap has no meteor/meteor-1.5.jar with its paraphrase table"


def meteor(
    candidates: Mapping[Any, str],
    references: Mapping[Any, Sequence[str]],
    java: str | None = None,
    timeout_s: float = 600.0,
) -> MetricResult:
    """METEOR of tokenised candidates against tokenised references (see `multicap.evaluation.metric`).

    Args:
        candidates: image id -> one tokenised caption.
        references: image id -> tokenised reference captions.
        java: the java executable; found on the PATH when None.
        timeout_s: the longest the jar may take before METEOR is reported unavailable.

    Returns:
        `MetricResult` named "METEOR": the jar's corpus and per-image scores, or unavailable with the reason.
    """
    return meteor_groups([(candidates, references)], java=java, timeout_s=timeout_s)[0]


def meteor_groups(
    groups: Sequence[tuple[Mapping[Any, str], Mapping[Any, Sequence[str]]]],
    java: str | None = None,
    timeout_s: float = 600.0,
) -> list[MetricResult]:
    """`meteor` of each (candidates, references) group, all in one run of the jar."""
    ids = [check_inputs(candidates, references) for candidates, references in groups]
    java = java or shutil.which("java")
    if java is None:
        return [_unavailable("java is not on the PATH (METEOR 1.5 runs as a Java program)")] * len(groups)
    jar, reason = find_meteor_jar()
    if jar is None:
        return [_unavailable(reason or "the METEOR jar was not found")] * len(groups)
    lines = [[_score_line(c[k], r[k]) for k in keys] for (c, r), keys in zip(groups, ids, strict=True)]
    try:
        scored = _run_jar(java, jar, lines, timeout_s)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        last_line = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        return [_unavailable(f"the METEOR jar failed: {last_line}")] * len(groups)
    return [
        MetricResult(
            name="METEOR", scores={"METEOR": corpus}, per_image={"METEOR": per_image}, image_ids=keys
        )
        for (per_image, corpus), keys in zip(scored, ids, strict=True)
    ]


def _unavailable(reason: str) -> MetricResult:
    return MetricResult(name="METEOR", unavailable=reason)


def _clean(text: str) -> str:
    # "|||" separates fields and a newline ends a request in the jar's protocol; as coco-caption does,
    # removing "|||" may leave a double space, which becomes one.
    return " ".join(text.splitlines()).replace("|||", "").replace("  ", " ")


def _score_line(candidate: str, refs: Sequence[str]) -> str:
    return " ||| ".join(["SCORE", *(_clean(r) for r in refs), _clean(candidate)])


def _run_jar(
    java: str, jar: Path, groups: list[list[str]], timeout_s: float
) -> list[tuple[list[float], float]]:
    """For each group: statistics for each line, then one EVAL for all: its per-image and corpus scores."""
    cmd = [java, "-jar", "-Xmx2G", jar.name, "-", "-", "-stdio", "-l", "en", "-norm"]
    proc = subprocess.Popen(
        cmd,
        cwd=jar.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
    )
    assert proc.stdin is not None and proc.stdout is not None
    watchdog = threading.Timer(timeout_s, proc.kill)  # a killed jar ends every pending read
    watchdog.start()
    out = []
    try:
        for score_lines in groups:
            stats = [_ask(proc.stdin, proc.stdout, line) for line in score_lines]
            _send(proc.stdin, " ||| ".join(["EVAL", *stats]))
            per_image = [float(_read(proc.stdout)) for _ in stats]
            out.append((per_image, float(_read(proc.stdout))))
        proc.stdin.close()
        proc.wait(timeout=30)
    except (OSError, ValueError) as exc:
        proc.kill()
        err = proc.communicate(timeout=30)[1] or ""
        raise ValueError(err.strip() or str(exc)) from exc
    finally:
        watchdog.cancel()
    return out


def _send(stdin: IO[str], line: str) -> None:
    stdin.write(line + "\n")
    stdin.flush()


def _read(stdout: IO[str]) -> str:
    line = stdout.readline()
    if not line:
        raise ValueError("the METEOR jar stopped before answering")
    return line.strip()


def _ask(stdin: IO[str], stdout: IO[str], line: str) -> str:
    _send(stdin, line)
    return _read(stdout)
