"""The Ray engine of `multicap index` (`--engine ray`): the same index as a local run, built on a cluster.

    with ray_cluster(address=None):                      # a local cluster, or `ray start`'s address
        index_paths(root, [folder], model, engine=RayEngine(ModelSpec.of(model), workers=2))

`index_paths` plans as always (what is unchanged, touched, moved, gone: the files are listed and hashed
once, on the driver) and hands the files to encode to `RayEngine.encode`:

1. shards left by a killed run (`multicap.scale.shards`) are merged first, where their files are still the
   ones planned (same path, mtime, size and content hash);
2. the rest go through a Ray Data pipeline: the list split into blocks, `map_batches` over a pool of
   stateful actors (`_IndexWorker`, the model loaded once per actor) that decode, encode and describe a
   shard of files and write it to the index folder's `shards/`;
3. the driver, the one writer, merges each shard into SQLite in one transaction, then deletes it. A record
   is merged only while its file is still planned and not yet merged: nothing twice; a killed driver
   leaves shards and committed rows, and the next run picks up both: nothing lost.

A cluster that stops answering mid-run (its head killed, its machine gone): Ray ends the driver's process
itself some 60 s later, saying only its own log lines; `ray_cluster(lost=...)` watches the cluster's GCS
port and calls `lost` with why once it has taken no connection for `LOST_AFTER` seconds (the CLI says so,
after Ray's own log lines, and exits 1; what was merged is kept, and a rerun goes on).

An actor that dies is restarted and its batch retried (Ray Data's defaults: `max_restarts=-1`,
`max_task_retries=-1`). The FAISS files: `multicap.scale.ivf.sharded_sync`, its shards filled by Ray tasks.

On a cluster of several machines, every node needs multicap (and the model's weights) installed and the
index folder on storage every node can write (the shards are written there).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import ray
import ray.data
import torch
from ray._private.authentication.authentication_token_setup import maybe_enable_token_auth_if_token_available

from multicap.errors import ConfigError, DataError, ImageLoadError
from multicap.index.build import image_record
from multicap.index.layout import LayoutRules
from multicap.index.models import IndexModel, list_models, open_model
from multicap.index.plan import IndexReport, Pending
from multicap.index.store import IndexStore
from multicap.io import iter_batches
from multicap.scale.ivf import sharded_sync
from multicap.scale.shards import SHARD_DIR, Shard, read_shard, write_shard

__all__ = [
    "LOST_AFTER",
    "ModelSpec",
    "RayEngine",
    "cluster_cpus",
    "ray_cluster",
    "watch_cluster",
    "worker_cpus",
]

LOST_AFTER = 30.0  # seconds without a connection to the cluster's GCS before a run is said lost (Ray
#                   ends the driver itself at 60; a GCS with fault tolerance restarts within that)

_MAX_BLOCKS = 4096  # the file list is cut into at most this many Ray Data blocks
_STALE_TMP_SECONDS = 600  # a half-written shard older than this belongs to no live worker
_HTTP2_OPENING = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # + SETTINGS
_TOKEN_FILE = "~/.ray/auth_token"  # where Ray keeps this machine's token


@dataclass(frozen=True)
class ModelSpec:
    """How a worker opens the very model the driver opened (`open_model`'s arguments)."""

    name: str
    encoder: str | None
    levels: tuple[str, ...]
    device: str = "cpu"

    @classmethod
    def of(cls, model: IndexModel, device: str = "cpu") -> ModelSpec:
        registered = model.name in list_models()  # a bundle encodes with its own encoder
        return cls(model.name, model.encoder.name if registered else None, tuple(model.levels), device)

    def open(self) -> IndexModel:
        return open_model(self.name, encoder=self.encoder, levels=self.levels, device=self.device)


@contextmanager
def ray_cluster(
    address: str | None = None,
    *,
    workers: int | None = None,
    say: Callable[[str], None] | None = None,
    lost: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Connect to the Ray cluster at `address` (None: RAY_ADDRESS, or the one `ray start` runs on this
    machine, else start one) for the block, unless this process is connected already (then the caller's
    connection is used and kept). `say` is told which cluster it is, its CPUs, and the `workers` it takes
    (a run had said nothing of either, and 64 asked of 2 CPUs had become 2 unsaid); `lost`, why, if the
    cluster stops answering during the block (`watch_cluster`)."""
    if ray.is_initialized():
        yield
        return
    given = address or os.environ.get("RAY_ADDRESS") or None  # RAY_ADDRESS had hung for minutes, unchecked
    _reachable(given, "--address" if address else "RAY_ADDRESS")
    if given not in (None, "auto"):
        _send_token()
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,  # the workers' own logs stay in Ray's session folder
            logging_level=logging.ERROR,  # stderr is for multicap's progress and warnings
        )
    except ConnectionError as exc:
        option = "--address" if address else "RAY_ADDRESS"
        raise ConfigError(
            f"no Ray cluster answers at {given}: {exc}; start one with `ray start --head` or leave out "
            f"{option} (a cluster with token authentication needs its token here: RAY_AUTH_TOKEN, or the "
            f"file {_TOKEN_FILE})"
        ) from None
    if say is not None:
        say(_cluster_said(workers, "--address" if address else "RAY_ADDRESS" if given else None))
    watching = watch_cluster(ray.get_runtime_context().gcs_address, lost) if lost is not None else None
    try:
        yield
    finally:
        if watching is not None:
            watching.set()
        ray.shutdown()


def watch_cluster(
    address: str, lost: Callable[[str], None], *, every: float = 1.0, after: float = LOST_AFTER
) -> threading.Event:
    """Watch, in a daemon thread, that the cluster's GCS at `address` ("host:port", "[::1]:port") takes
    connections, every `every` seconds; once it has taken none for `after` seconds, call `lost` with why,
    and stop. Only an address that answered once is watched (an address this machine never reaches, as a
    `ray://` client's head may give, is no cluster lost). Set the returned event to stop watching."""
    host, port = _host_port(address)
    stop = threading.Event()

    def watch() -> None:
        since: float | None = None
        answered = False
        while not stop.wait(every):
            try:
                socket.create_connection((host, port), timeout=every).close()
                since, answered = None, True
            except OSError as exc:
                since = time.monotonic() if since is None else since
                if answered and time.monotonic() - since >= after and not stop.is_set():
                    reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
                    lost(
                        f"the Ray cluster at {address} stopped answering mid-run ({reason} for "
                        f"{after:.0f} s): run the command again once the cluster is back, or without "
                        "--engine ray"
                    )
                    return

    threading.Thread(target=watch, name="multicap-ray-watch", daemon=True).start()
    return stop


def _host_port(address: str) -> tuple[str, int]:
    """ "host:port", "ray://host:port" or "[::1]:port" (Ray's IPv6 form) → (host, port); a port that is no
    number is 0."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    return host.removeprefix("[").removesuffix("]"), int(port) if port.isdigit() else 0


def _reachable(address: str | None, given_as: str = "--address", timeout: float = 5.0) -> None:
    """Raise ConfigError where `address` ("host:port", "ray://host:port") takes no connection, or answers
    as no Ray cluster does: Ray itself retries either for minutes, printing its own log lines. A cluster's
    port speaks gRPC (HTTP/2): it answers a client's opening with a binary SETTINGS frame (a TLS one with a
    binary alert); a web server (the dashboard's port, 8265) with text, HTTP/1 or HTML."""
    if address is None or address in ("auto", "local"):
        return
    host, port = _host_port(address)
    if not port:
        raise ConfigError(f"{given_as} {address}: give the cluster as HOST:PORT (as `ray start --head` says)")
    try:
        sock = socket.create_connection((host or "127.0.0.1", port), timeout=timeout)
    except OSError as exc:  # refused, unresolvable, or no answer at all (a connect timeout)
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigError(
            f"no Ray cluster at {address}: {reason.lower()}; start one with `ray start --head` or leave out "
            f"{given_as}"
        ) from None
    try:
        with sock:
            sock.sendall(_HTTP2_OPENING)
            answer = sock.recv(16)
    except OSError:  # connected, but nothing said yet (or a TLS cluster's alert): let Ray try
        return
    if answer[:1].isalpha() or answer[:1] == b"<":  # "HTTP/1.0 400", "<!DOCTYPE", "SSH-2.0": no Ray
        raise ConfigError(
            f"{address} answers as another service, not a Ray cluster: give the address `ray start --head` "
            "printed (its port is 6379 unless told otherwise; 8265 is the dashboard's)"
        )


def _send_token() -> None:
    """Send this machine's Ray token (where it has one, and RAY_AUTH_MODE does not say otherwise) to a
    cluster at an address given, as Ray does to the one it finds itself: `ray start --head` turns token
    authentication on where the machine has a token (a local cluster of an earlier run made one), and the
    cluster had been said missing after 24 s of Ray's log lines. A cluster without authentication takes
    the token and ignores it."""
    quiet = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # its warning that authentication is on: for a cluster being started
    try:
        maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
    finally:
        quiet.setLevel(level)


def _cluster_said(workers: int | None, named_by: str | None = None) -> str:
    """ "Ray: the cluster at 127.0.0.1:6379, 2 CPUs on 1 node; 2 model actors at most", and which cluster
    that is where no address was given: one already running on this machine (`ray start`), or one started for
    this run (the two had read the same). `named_by`: the option or variable that gave the address, if any."""
    cpus, nodes = cluster_cpus(), sum(1 for n in ray.nodes() if n.get("Alive"))
    here = ray.get_runtime_context().gcs_address
    node = getattr(ray._private.worker, "_global_node", None)  # the driver's node: `head` where started here
    if named_by is None and node is not None and getattr(node, "head", False):
        said = f"Ray: a cluster started for this run at {here} (none was running; it stops at the end)"
    elif named_by is None:
        said = f"Ray: the cluster already running on this machine, at {here}"
    else:
        said = f"Ray: the cluster at {here}" + (" (RAY_ADDRESS)" if named_by == "RAY_ADDRESS" else "")
    said += f", {cpus} CPU{'s' * (cpus != 1)} on {nodes} node{'s' * (nodes != 1)}"
    if workers is not None and workers > cpus:
        return f"{said}; --workers {workers} is more than its CPUs: {cpus} model actors"
    return f"{said}; {min(workers or cpus, cpus)} model actors at most"


def cluster_cpus() -> int:
    return int(ray.cluster_resources().get("CPU", 1))


def worker_cpus(workers: int) -> int:
    """CPUs for each of `workers` actors: the cluster's share, at most a whole node."""
    per_node = max((int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")), default=1)
    return max(1, min(per_node, cluster_cpus() // max(workers, 1)))


def configure_data() -> None:
    """Ray Data as the engines use it: results in input order, no progress bars of its own."""
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)


def blocks(table: pa.Table, rows: int) -> list[pa.Table]:
    """The file list cut into blocks of `rows` (more when the list is long: at most _MAX_BLOCKS)."""
    size = max(rows, math.ceil(table.num_rows / _MAX_BLOCKS))
    return [table.slice(start, size) for start in range(0, table.num_rows, size)]


class _IndexWorker:
    """A Ray Data actor: opens the model once, then makes one shard of each batch of files it is given."""

    def __init__(self, spec: ModelSpec, folder: str, run: str, batch_size: int, threads: int) -> None:
        torch.set_num_threads(threads)
        self.model = spec.open()
        self.identity = self.model.identity()
        self.folder, self.run, self.batch_size = Path(folder), run, batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        paths = [Path(os.fsdecode(bytes(p))) for p in batch["path"]]
        info = {
            p: (int(m), int(s), str(h))
            for p, m, s, h in zip(paths, batch["mtime"], batch["size"], batch["hash"], strict=True)
        }
        shard = Shard(self.identity)

        def fail(error: ImageLoadError) -> None:
            shard.failed.append((str(error.path), error.reason))

        for done, loaded in iter_batches(paths, self.model.load, batch_size=self.batch_size, on_error=fail):
            vectors, said = self.model.process(done, loaded)
            shard.records.extend(
                image_record(p, *info[p], v, s, self.model.said_by)
                for p, v, s in zip(done, vectors, said, strict=True)
            )
        name = f"{self.run}-{int(batch['i'][0]):09d}.npz"
        write_shard(self.folder / name, shard)
        return {"shard": np.array([name])}


class RayEngine:
    """`IndexEngine` on Ray (see the module docstring); the caller is connected (`ray_cluster`)."""

    def __init__(
        self, spec: ModelSpec, *, workers: int | None = None, batch_size: int = 32, shard_size: int = 64
    ) -> None:
        self.spec, self.batch_size, self.shard_size = spec, batch_size, shard_size
        self.workers = workers or cluster_cpus()

    # ------------------------------------------------------------------------------------------ encode
    def encode(
        self,
        store: IndexStore,
        model: IndexModel,
        todo: list[Pending],
        report: IndexReport,
        fail: Callable[[ImageLoadError], None],
        progress: Callable[[int], None] | None,
    ) -> None:
        folder = store.path.parent / SHARD_DIR
        folder.mkdir(exist_ok=True)
        expected = {str(p.resolve()): (st.st_mtime_ns, st.st_size, d) for p, st, d in todo}
        merge = _Merger(store, expected, (model.identity(), model.said_by), report, fail, progress)
        for path in sorted(folder.glob("*.npz")):  # left by a run that was killed
            merge(path, leftover=True)
        for path in folder.glob("*.tmp"):
            if _age(path) > _STALE_TMP_SECONDS:
                path.unlink(missing_ok=True)
        rest = [(p, st, d) for p, st, d in todo if str(p.resolve()) in expected]
        if rest:
            for name in self._shards(rest, folder):
                merge(folder / name, leftover=False)
        with suppress(OSError):
            folder.rmdir()  # when empty: nothing is left to merge

    def _shards(self, todo: list[Pending], folder: Path) -> Iterator[str]:
        """Run the pipeline; yields the name of each shard written, in the order of `todo`."""
        configure_data()
        table = pa.table(
            {
                "i": pa.array(np.arange(len(todo), dtype=np.int64)),
                "path": pa.array([os.fsencode(p) for p, _, _ in todo], pa.binary()),
                "mtime": pa.array([st.st_mtime_ns for _, st, _ in todo], pa.int64()),
                "size": pa.array([st.st_size for _, st, _ in todo], pa.int64()),
                "hash": pa.array([d for _, _, d in todo], pa.string()),
            }
        )
        # no more actors than CPUs (each must start) or than shards
        workers = min(self.workers, cluster_cpus(), math.ceil(len(todo) / self.shard_size))
        cpus = worker_cpus(workers)
        ds = ray.data.from_arrow(blocks(table, self.shard_size)).map_batches(
            _IndexWorker,
            batch_size=self.shard_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=cpus,
            fn_constructor_kwargs={
                "spec": self.spec,
                "folder": str(folder),
                "run": uuid.uuid4().hex[:12],
                "batch_size": self.batch_size,
                "threads": cpus,
            },
        )
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            yield from (str(name) for name in batch["shard"])

    # ------------------------------------------------------------------------------------------ FAISS
    def sync(
        self, root: Path, store: IndexStore, factory: str | None, rules: LayoutRules | None
    ) -> dict[str, Any]:
        return sharded_sync(root, store, factory=factory, rules=rules, map_shards=self.map_shards)

    def map_shards(
        self, fill: Callable[[bytes, np.ndarray, np.ndarray], bytes], trained: bytes, shards: Iterable[Any]
    ) -> Iterator[bytes]:
        """Fill each FAISS shard in a Ray task, a few in flight per worker; results in order."""
        remote = ray.remote(num_cpus=1)(fill)
        trained_ref = ray.put(trained)
        window: deque[Any] = deque()
        for ids, vectors in shards:
            window.append(remote.remote(trained_ref, ids, vectors))
            if len(window) >= 2 * self.workers:
                yield ray.get(window.popleft())
        while window:
            yield ray.get(window.popleft())


class _Merger:
    """The writer's side: a shard's records into SQLite (one transaction), then the shard deleted."""

    def __init__(
        self,
        store: IndexStore,
        expected: dict[str, tuple[int, int, str]],
        made_by: tuple[dict[str, Any], str],
        report: IndexReport,
        fail: Callable[[ImageLoadError], None],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.store, self.expected = store, expected
        self.identity, self.said_by = made_by  # the driver's model's identity and describer version
        self.report, self.fail, self.progress = report, fail, progress

    def __call__(self, path: Path, *, leftover: bool) -> None:
        shard = read_shard(path)
        said = {r.said_by for r in shard.records} if shard is not None else set()
        if shard is None or shard.identity != self.identity or said - {self.said_by}:
            if not leftover:  # (a node without a people detector the driver has: "... without ...")
                raise DataError(
                    f"{path}: a Ray worker made this shard with another model or multicap version than "
                    f"the driver's ({', '.join(sorted(said - {self.said_by})) or 'another model'}); "
                    "install the same multicap and weights on every node (multicap models pull "
                    "open-images-ssd where the driver has it)"
                )
            path.unlink(missing_ok=True)  # another model's, or damaged: its files are encoded again
            return
        keep = [r for r in shard.records if self.expected.get(r.path) == (r.mtime_ns, r.size, r.hash)]
        if keep:
            self.report.added += len(self.store.add(keep))
        for rec in keep:
            del self.expected[rec.path]
        failed = 0
        for name, reason in [] if leftover else shard.failed:  # a leftover's failures are tried again
            if self.expected.pop(str(Path(name).resolve()), None) is not None:
                self.fail(ImageLoadError(name, reason))
                failed += 1
        path.unlink(missing_ok=True)
        if self.progress is not None and (keep or failed):
            self.progress(len(keep) + failed)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
