"""`multicap serve`: a local web app and REST API over an index (needs the `serve` extra)."""

from __future__ import annotations

import typer

from multicap.cli import console
from multicap.cli.app import app

_EXTRA = "multicap serve needs the serve extra: pip install -e '.[serve]' in multicap's folder"


@app.command("serve")
def serve_command(
    index: str = typer.Option(
        None,
        "--index",
        "-i",
        callback=console.index_named,
        help="Index name under ./indexes (or $MULTICAP_INDEX_DIR), or a path (default: the one named "
        "default).",
    ),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (loopback only unless you say otherwise)."
    ),
    port: int = typer.Option(8765, "--port", "-p", min=0, max=65535, help="Port (0: any free one)."),
    max_upload_mb: float = typer.Option(
        20.0, "--max-upload-mb", min=0.01, help="Largest upload, in MiB (2**20 bytes)."
    ),
    device: str = typer.Option(
        "cpu", "--device", callback=console.device_named, help="cpu, cuda, cuda:N or auto."
    ),
    allow_host: list[str] = typer.Option(
        None,
        "--allow-host",
        metavar="NAME",
        help="Another name this server is reached by (a reverse proxy's, this machine's own), besides "
        "localhost, 127.0.0.1 and [::1]: a request naming any other host is refused (on loopback always, "
        "elsewhere once a name is given), and pages of that name may change things. Repeatable.",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        "-w",
        min=1,
        max=64,
        help="Server processes sharing the port: searches run side by side (one per core helps many "
        "users at once; each worker loads its own model and runs its own duplicate/cluster pass).",
    ),
) -> None:
    """Serve an index in the browser: search (text, "more like this", an upload), each image's
    descriptions at every level, compare a selection, duplicate groups and clusters; JSON API at /api,
    documented at /docs. The index is only read; a `multicap index` run beside it is picked up.

    Examples:

      multicap serve --index demo   # then open http://127.0.0.1:8765

      multicap serve --index photos --workers 2 --port 8080
    """
    import importlib.util

    from multicap.errors import ConfigError

    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        raise ConfigError(_EXTRA)
    import uvicorn

    from multicap.index import existing_index
    from multicap.serve.app import LOOPBACK_NAMES, create_app

    root = existing_index(index)
    _can_listen(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    hosts = host_names(host, allow_host or [], LOOPBACK_NAMES)
    proxies = tuple(_bracketed(allow_host or []))
    if not _loopback(host):
        console.warn(f"listening on {host}: anyone who can reach this machine can search this index")

    def say(bound: int) -> None:
        console.err.print(
            f"serving {console.shown(root)} at http://{shown_host}:{bound} (API docs at /docs); Ctrl-C stops",
            markup=False,
        )

    if workers > 1:
        _run_workers(root, host, port, workers, device, int(max_upload_mb * 2**20), hosts, proxies, say)
        return
    # the model loads once the socket listens: its torch import would hold up the first page
    web = create_app(
        root,
        device=device,
        max_upload=int(max_upload_mb * 2**20),
        load_model=False,
        hosts=hosts,
        proxies=proxies,
    )
    config = uvicorn.Config(web, host=host, port=port, log_level="warning", access_log=False)
    server = _server(config)

    async def announce() -> None:
        # the bound port (port 0 picks a free one), once the socket is listening
        for s in server.servers:
            for sock in s.sockets:
                say(sock.getsockname()[1])
                web.state.service.model_job.start()
                return

    _run(server, announce)


def host_names(host: str, allow_host: list[str], loopback: tuple[str, ...]) -> tuple[str, ...] | None:
    """The Host names a server bound to `host` answers: on loopback, or wherever names are given
    (--allow-host), those names, loopback's and its own (no page of another name rebound to this server);
    else None, any (--allow-host had been ignored off loopback, and a proxy's page refused every change)."""
    named = _bracketed(allow_host)
    if not (_loopback(host) or named):
        return None
    own = f"[{host}]" if ":" in host else host
    return tuple(dict.fromkeys(n.lower() for n in (*loopback, own, *named)))


def _bracketed(names: list[str]) -> list[str]:
    """Host names as a Host header gives them: lower case, an IPv6 address in brackets."""
    return [(f"[{h}]" if ":" in h else h).lower() for h in names]


def _loopback(host: str) -> bool:
    """Whether every address `host` names is on this machine's loopback interface ("localhost", "127.1",
    "::ffff:127.0.0.1", a name that resolves to 127.0.1.1)."""
    import ipaddress
    import socket

    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):  # no such name: uvicorn says so when it binds
        return False
    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
    mapped = [
        a.ipv4_mapped if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped else a for a in addresses
    ]
    return bool(mapped) and all(a.is_loopback for a in mapped)


def _can_listen(host: str, port: int) -> None:
    """Raise ConfigError, one line, where `host`:`port` cannot be listened on (taken, or no such address):
    uvicorn would print a traceback and exit 3."""
    import socket

    from multicap.errors import ConfigError

    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as e:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {e.strerror or e}; choose another --port or --host"
        ) from None


def _run_workers(root, host, port, workers, device, max_upload, hosts, proxies, say) -> None:  # type: ignore[no-untyped-def]
    """`workers` processes on one listening socket, bound here first (so port 0 can be announced);
    uvicorn's supervisor starts them, restarts one that dies, and stops them on Ctrl-C."""
    import json
    import os
    import socket

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from multicap.serve.app import SETTINGS_VARIABLE

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    settings = {
        "root": str(root),
        "device": device,
        "max_upload": max_upload,
        "hosts": hosts,
        "proxies": proxies,
    }
    os.environ[SETTINGS_VARIABLE] = json.dumps(settings)
    config = uvicorn.Config(
        "multicap.serve.app:app_from_environment",
        factory=True,
        workers=workers,
        log_level="warning",
        access_log=False,
    )

    class Supervisor(Multiprocess):  # remembers a Ctrl-C, which it handles as a stop
        interrupted = False

        def handle_int(self) -> None:
            self.interrupted = True
            super().handle_int()

    say(sock.getsockname()[1])
    supervisor = Supervisor(config, sockets=[sock])
    supervisor.run()
    if supervisor.interrupted:  # as one worker does: "interrupted", exit 130 (it had exited 0 unsaid)
        raise KeyboardInterrupt


def _server(config):  # type: ignore[no-untyped-def]
    """uvicorn's server, quiet on a second Ctrl-C: uvicorn then stops at once and cancels the app's
    lifespan, and had logged that cancellation as a traceback. A SIGTERM (a service manager's stop) ends
    it with 0 after the graceful stop, as it ends `--workers N` (uvicorn raised it again once stopped: 143
    with one worker, 0 with two)."""
    import logging
    import signal

    import uvicorn

    class Server(uvicorn.Server):
        interrupted = False  # a Ctrl-C came: the command ends 130, however the signal's re-raise ran

        def handle_exit(self, sig, frame) -> None:  # type: ignore[no-untyped-def]
            self.interrupted = self.interrupted or sig == signal.SIGINT
            if self.should_exit:  # the second
                logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
            super().handle_exit(sig, frame)
            if sig == signal.SIGTERM:  # stopped as asked: not raised again once done
                self._captured_signals.remove(sig)

    return Server(config)


def _run(server, announce) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started:
            await announce()
        await task

    try:
        asyncio.run(main())
    except asyncio.CancelledError:  # the re-raised Ctrl-C met asyncio's own handler
        if not server.interrupted:
            raise
    if server.interrupted:  # two quick Ctrl-C had ended 0 now and then on a busy machine: uvicorn re-raises
        raise KeyboardInterrupt  # the signals once stopped, and asyncio's handler may swallow them
