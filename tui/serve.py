"""`ramify serve`: the IDE in a browser, served by textual-serve (the `web` extra).

Each browser tab opens a websocket, and textual-serve starts one `ramify` process for it with
the same session arguments (`tab_command`); the tabs share nothing but the session database,
which the IDE already watches for other writers. A tab's process uses `ServedDriver`, so a
closed tab quits as Ctrl+Q does.

textual-serve has no authentication. The server binds to loopback unless `--public` is given,
and then it warns. On loopback it also refuses a request whose Host is not a loopback name (a
web page cannot rebind its own domain to 127.0.0.1 and read the IDE), and everywhere a
websocket whose Origin is another site (a page the user visits cannot drive the IDE).
`RAMIFY_SERVE_TOKEN` adds a token (`serve_token.py`).
"""

from __future__ import annotations

import errno
import ipaddress
import shlex
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

DRIVER_IMPORT = "ramify.tui.served_driver:ServedDriver"
"""The ``TEXTUAL_DRIVER`` each tab's process runs with (`served_driver.py`)."""

PUBLIC_TOKEN_WARNING = (
    "warning: the IDE is served to the network over plain HTTP; RAMIFY_SERVE_TOKEN guards it, "
    "but anyone who can watch the traffic can read the token. On a network you do not trust, "
    "put a TLS proxy in front."
)

PUBLIC_WARNING = (
    "warning: the IDE is served to the network without authentication: anyone who can reach "
    "{url} can read every session and run agents with your keys. Set RAMIFY_SERVE_TOKEN to "
    "require a token, and use it only on a network you trust."
)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What `ramify serve` was asked for."""

    host: str = "127.0.0.1"
    port: int = 8000
    public: bool = False
    demo: bool = False
    config: Path | None = None
    agent_spec: str | None = None
    store: str | None = None
    tools: bool = False


def _warn(text: str) -> None:
    print(f"ramify: {text}", file=sys.stderr)


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) only reaches this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tab_command(options: ServeOptions) -> str:
    """The shell command textual-serve runs for each tab: this Python's `ramify` with the
    session arguments, on the browser driver that quits as Ctrl+Q does."""
    argv = [sys.executable, "-m", "ramify.tui.cli"]
    env = [f"TEXTUAL_DRIVER={DRIVER_IMPORT}"]
    if options.store:
        # In the environment, not the arguments: a store URL may hold a password, and a
        # process's environment is private to its user while its arguments are not.
        env.append(f"RAMIFY_STORE={_absolute_store(options.store)}")
    if options.demo:
        argv.append("--demo")
    if options.tools:
        argv.append("--tools")
    if options.config is not None:
        argv += ["--config", str(options.config.expanduser().resolve())]
    if options.agent_spec:
        argv.append(_absolute_spec(options.agent_spec))
    # `exec`: the app is the shell's own process, so signals and the exit reach it directly.
    return "exec env " + shlex.join([*env, *argv])


def _absolute_store(location: str) -> str:
    """A store path made absolute (a tab may start elsewhere); a URL as given."""
    if "://" in location:
        return location
    return str(Path(location).expanduser().resolve())


def _absolute_spec(spec: str) -> str:
    source, colon, name = spec.strip().rpartition(":")
    if colon and source.endswith(".py"):
        return f"{Path(source).expanduser().resolve()}:{name}"
    return spec


def serve(options: ServeOptions) -> int:
    """Serve the IDE until Ctrl+C; returns the process exit code."""
    if not options.public and not is_loopback(options.host):
        _warn(
            f"{options.host} is not a loopback address, and the browser IDE has no "
            "authentication; add --public to serve it there anyway"
        )
        return 2
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        _warn("serving to a browser needs the web extra: pip install 'ramify[web]'")
        return 1
    if options.agent_spec:
        from ramify.tui.agent_loader import AgentSpecError, load_agent_spec

        try:
            load_agent_spec(options.agent_spec)
        except AgentSpecError as error:
            _warn(str(error))
            return 2
    from ramify.tui.serve_token import TokenError, take_token

    try:
        token = take_token()
    except TokenError as error:
        _warn(str(error))
        return 2
    try:
        listener = _listen(options.host, options.port)
    except OSError as error:
        _warn(_listen_problem(options.host, options.port, error))
        return 1
    from ramify.tui.serve_server import RamifyServer

    server = RamifyServer(tab_command(options), listener, public=options.public, token=token)
    if options.public and token is None:
        _warn(PUBLIC_WARNING.format(url=server.public_url))
    elif options.public:
        _warn(PUBLIC_TOKEN_WARNING)
    server.serve()
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound now so a port in use is one clear line, not a traceback
    from inside the web server after its start-up messages."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, protocol, _, address = info[0]
    listener = socket.socket(family, kind, protocol)
    try:
        # As aiohttp does: a restarted server may take the port over from closing connections.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    listener.setblocking(False)
    return listener


def _listen_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use; stop what uses it or pick another "
            "port with --port"
        )
    if isinstance(error, socket.gaierror):
        return f"cannot serve on {host}: unknown host name ({error.strerror or error})"
    return f"cannot serve on {host}:{port}: {error.strerror or error}"


def url_host(host: str) -> str:
    """`host` as written in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def request_refusal(
    host_header: str, path: str, headers: Mapping[str, str], public: bool
) -> str | None:
    """Why a request is refused (None: it is served). On loopback only a loopback Host is
    served; a websocket opened by a page of another origin is refused everywhere."""
    host = urlsplit(f"//{host_header}").hostname or ""
    if not public and not is_loopback(host):
        return "this Ramify server answers only to a loopback name"
    origin = headers.get("Origin")
    if path == "/ws" and origin is not None and urlsplit(origin).netloc != host_header:
        return "a websocket opened by another site is refused"
    return None
