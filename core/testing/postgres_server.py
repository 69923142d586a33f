"""A private, throwaway PostgreSQL server for tests and benchmarks.

`PostgresServer.start()` runs ``initdb`` and ``pg_ctl`` (from PATH, or the newest
``/usr/lib/postgresql/*/bin``) on a temporary folder, listening only on 127.0.0.1 at a free
port with its socket in that folder, so it never touches the machine's own server. The
superuser gets a random password, and TCP logins need it (scram), so wrong-password and
permission tests are real. PostgreSQL refuses to run as root: as root, the server runs as the
``postgres`` system user (through ``runuser``) and the folder is handed to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

__all__ = ["PostgresServer", "ServerUnavailable", "find_bin_dir"]

_SUPERUSER = "ramify"
_RUN_AS = "postgres"


class ServerUnavailable(RuntimeError):
    """No private server can be started here (no binaries, or they failed); the text says why."""


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None if PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found is not None and shutil.which("pg_ctl") is not None:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: _major(Path(path).parent.name)
    )
    for candidate in reversed(candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One private server: `start`, then `dsn(database)`, then `stop` (or use ``with``).

    `durable=False` (tests) turns off fsync: a crash of a throwaway server loses nothing anyone
    wants, and tests run faster. Benchmarks keep PostgreSQL's defaults.
    """

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.port = 0
        self.password = secrets.token_hex(16)
        self._folder: Path | None = None
        self._bin: Path | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def dsn(self, database: str = "postgres", *, user: str = _SUPERUSER) -> str:
        """A DSN for `database` as the superuser (password included: the server is private)."""
        secret = quote(self.password, safe="")
        return f"postgresql://{user}:{secret}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Create the cluster and start the server; raises `ServerUnavailable`."""
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise ServerUnavailable(
                "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
                "/usr/lib/postgresql/*/bin)"
            )
        self._bin = bin_dir
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(_RUN_AS)
            except KeyError:
                raise ServerUnavailable(
                    f"PostgreSQL refuses to run as root and there is no {_RUN_AS!r} user to run "
                    "it as (install the postgresql package, or run the tests as another user)"
                ) from None
        folder = Path(tempfile.mkdtemp(prefix="ramify-pg-"))
        self._folder = folder
        password_file = folder / "pw"
        password_file.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(folder, _RUN_AS, _RUN_AS)
            shutil.chown(password_file, _RUN_AS, _RUN_AS)
        folder.chmod(0o700)
        password_file.chmod(0o600)
        self._run(
            "initdb",
            "-D",
            str(folder / "data"),
            "-U",
            _SUPERUSER,
            "--pwfile",
            str(password_file),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        )
        password_file.unlink()
        options = [f"-c listen_addresses=127.0.0.1 -k {folder}"]
        if not self.durable:
            options.append("-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        # A few tries: another program may take the free port between the probe and the bind.
        for _ in range(3):
            self.port = _free_port()
            started = self._run(
                "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "log"),
                "-o",
                f"-p {self.port} " + " ".join(options),
                check=False,
            )
            if started.returncode == 0:
                return
        log = (folder / "log").read_text(errors="replace")[-2000:]
        self.stop()
        raise ServerUnavailable(f"the private PostgreSQL did not start: {log.strip()}")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        folder, self._folder = self._folder, None
        if folder is None:
            return
        if (folder / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(folder / "data"), check=False)
        shutil.rmtree(folder, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self._bin is not None
        command = [str(self._bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _RUN_AS, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            self.stop()
            tail = (done.stderr or done.stdout).strip()[-1000:]
            raise ServerUnavailable(f"{tool} failed: {tail}")
        return done
