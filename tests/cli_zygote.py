"""The `multicap` command run in a fresh process forked from one that has already imported torch.

Each CLI test ran `multicap` in a new interpreter, and most of those runs spent 1.5 s importing torch (and
4 s importing open_clip) before doing anything: a third of the suite's time. Here a server process imports
the third-party libraries once (never multicap, never a model, and no torch operation, so no thread pool
exists yet) and forks a child for each run: the child takes the run's environment, working folder, argv
and standard streams, seeds its random generators afresh, and runs the console script's own entry point,
so every run still starts from nothing of multicap's and ends as a process does (its exit code, atexit,
a signal's negative code). A child dies with the server (PR_SET_PDEATHSIG): none is left behind.

What a forked child cannot take is what the interpreter or a library reads when it starts: a run whose
environment differs from the server's in such a variable (`_AT_START`: PYTHON*, the locale, HOME, the
libraries' own) runs as a new interpreter instead. Two differences stay: every forked run of a test
process hashes strings with the same seed (a test that checks that output does not depend on set order
should run with MULTICAP_TEST_FORK=0), and libgomp took its wait policy when the server imported torch
(a bounded spin, as `multicap.cli.threads` chooses on a quiet machine), so the policy a run's
`configure()` writes changes nothing: it only sets how idle threads wait, never what a command says.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import io
import itertools
import json
import locale
import os
import random
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# read when an interpreter or a library starts: a run that sets them otherwise gets a new interpreter
_AT_START = (
    "PYTHON", "LC_", "LANG", "HOME", "XDG_", "LD_", "MALLOC_", "OMP_", "GOMP_", "KMP_", "MKL_", "OPENBLAS_",
    "HF_", "TORCH", "PYTORCH", "CUDA", "FAISS", "TYPER", "_TYPER",
)  # fmt: skip
# ... but these only say how idle threads wait (`multicap.cli.threads` writes them, in the test process too)
_WAITING = frozenset({"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_DUPLICATE_LIB_OK"})
_PRELOAD = ("numpy", "PIL.Image", "torch", "faiss", "typer", "rich.console", "sqlite3", "open_clip")
_PR_SET_PDEATHSIG = 1


def _serve() -> None:
    """The server: preload, then for each request line fork a child that runs `multicap`; reply its pid,
    then its exit code (negative: the signal that ended it)."""
    sys.path[0] = str(Path(sys.argv[2]).parent)  # the script's folder, as for the console script: not
    #                                              tests/, whose ray/ and serve/ would shadow packages
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # as multicap sets it before open_clip is imported
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):  # an extra not installed
            __import__(name)
    gc.freeze()  # a child's collections and exit leave the preloaded objects alone: touching them had
    #             copied every page of the server's heap, and each run's exit took 1.1 s, not 0.3
    requests = os.fdopen(0, "rb", buffering=0)
    replies = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    while line := _read_line(requests):
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            replies.close()
            _child(request)  # never returns: the command's SystemExit ends the process
        replies.write(f"{pid}\n")
        _, status = os.waitpid(pid, 0)
        replies.write(f"{os.waitstatus_to_exitcode(status)}\n")


def _read_line(stream: io.RawIOBase) -> bytes:
    line = bytearray()
    while (byte := stream.read(1)) and byte != b"\n":
        line += byte
    return bytes(line)


def _child(request: dict) -> None:
    with contextlib.suppress(OSError, AttributeError):  # Linux: die with the server, not as an orphan
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = sys.__stdin__ = open(0, closefd=False)  # noqa: SIM115 (the process's own stdin)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    random.seed()  # each run's generators seeded afresh, as a new interpreter's are
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()
    sys.argv = [request["exe"], *request["argv"]]
    from multicap.cli.main import run

    sys.exit(run())


class Zygote:
    """The client side, one per test process: `run` is `subprocess.run(..., capture_output=True,
    text=True)` of the `multicap` command."""

    def __init__(self, exe: Path) -> None:
        self.exe = exe
        self.env = dict(os.environ)
        if not _WAITING & set(self.env):
            self.env["GOMP_SPINCOUNT"] = "10000"  # `multicap.cli.threads.SPIN_COUNT`, its quiet choice
        self.folder = Path(tempfile.mkdtemp(prefix="multicap-zygote-"))
        self.runs = itertools.count()
        read, write = os.pipe()
        with open(self.folder / "server.log", "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, str(write), str(exe)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=log,
                pass_fds=(write,),
                env=self.env,
            )
        os.close(write)
        self.replies = read
        self.said = b""  # read from the server and not yet taken
        atexit.register(self.close)

    def takes(self, env: dict[str, str]) -> bool:
        """Whether a run with `env` may be forked: the variables read at start-up are the server's."""
        keys = {k for k in (*env, *self.env) if k.startswith(_AT_START) and k not in _WAITING}
        return self.process.poll() is None and all(env.get(k) == self.env.get(k) for k in keys)

    def run(self, args: tuple[str, ...], env: dict[str, str], cwd: Path, timeout: float):
        run = next(self.runs)  # files of their own: a process an earlier run left may still write to its
        out, err = self.folder / f"{run}.out", self.folder / f"{run}.err"
        request = {"exe": str(self.exe), "argv": list(args), "env": env, "cwd": str(cwd)}
        request.update(out=str(out), err=str(err))
        argv = [str(self.exe), *args]
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        self.process.stdin.flush()
        try:
            pid = int(self._reply(timeout))
        except TimeoutError:  # the server itself is stuck: no later run goes to it
            self.process.kill()
            raise subprocess.TimeoutExpired(argv, timeout) from None
        try:
            code, timed_out = int(self._reply(timeout)), False
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            code, timed_out = int(self._reply(None)), True
        stdout, stderr = out.read_bytes(), err.read_bytes()
        out.unlink()
        err.unlink()
        if timed_out:  # as subprocess.run raises it: the output so far, as bytes
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
        return subprocess.CompletedProcess(argv, code, _text(stdout), _text(stderr))

    def close(self) -> None:
        """Stop the server (its stdin closed, it ends; its children die with it) and remove its files."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _reply(self, timeout: float | None) -> str:
        """The server's next line, within `timeout` seconds (None: however long it takes)."""
        with selectors.DefaultSelector() as waiting:
            waiting.register(self.replies, selectors.EVENT_READ)
            while b"\n" not in self.said:
                if not waiting.select(timeout):
                    raise TimeoutError
                chunk = os.read(self.replies, 4096)
                if not chunk:
                    raise RuntimeError("the multicap fork server has stopped")
                self.said += chunk
        line, _, self.said = self.said.partition(b"\n")
        return line.decode()


def _text(data: bytes) -> str:
    """Bytes as `subprocess.run(text=True)` decodes them: the locale's encoding, universal newlines."""
    return io.TextIOWrapper(io.BytesIO(data), encoding=locale.getpreferredencoding(False)).read()


if __name__ == "__main__":
    _serve()
