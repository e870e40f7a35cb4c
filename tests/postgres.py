"""A throwaway PostgreSQL server for the test session, and a fresh database for each test.

:func:`start` makes a cluster with ``initdb`` in a new temporary folder and starts it with
``pg_ctl``, listening only on a Unix socket in that folder, so that nothing outside the folder
is touched and several sessions can run at once. When the tests run as root the server runs
as the ``postgres`` user (PostgreSQL refuses to run as root). The server is stopped and its
folder removed by :meth:`Server.stop`; a watchdog process does the same if the test process
dies without stopping it (killed, or interrupted before its teardown ran).

Durability is off (``fsync = off``): the tests kill clients, never the server, and a server
that crashed would be thrown away with its folder anyway.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
from typing import IO, TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

BINARIES: Final = ("initdb", "pg_ctl")
"""The programs the server needs (``pg_ctl`` starts ``postgres`` from its own folder)."""

MAJOR: Final = 15
"""The major version the store is tested against; others are used when it is absent."""

PORT: Final = 5432
"""The port number: only the name of the socket file, as the server listens on no network."""

SETTINGS: Final = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
}
"""What ``postgresql.conf`` gets beside the socket folder and the port."""

# Run detached from the test process: it waits for the pipe from that process to close (at
# the end of the session, or when the process dies however it dies), then stops the server
# and removes its folder.
_WATCHDOG: Final = """
import shutil, subprocess, sys
command, data, folder = sys.argv[1:4]
prefix = sys.argv[4:]
sys.stdin.buffer.read()
subprocess.run([*prefix, command, "stop", "-D", data, "-m", "immediate", "-w"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
shutil.rmtree(folder, ignore_errors=True)
"""


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def find_binaries() -> pathlib.Path:
    """The folder holding ``initdb`` and ``pg_ctl``: from ``PATH``, else a Debian install.

    Raises:
        Unavailable: neither place has both.
    """
    found = [shutil.which(name) for name in BINARIES]
    if all(found):
        return pathlib.Path(os.path.realpath(str(found[0]))).parent
    pattern = "/usr/lib/postgresql/*/bin"
    folders = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key)
    folders.reverse()
    preferred = [folder for folder in folders if _version_key(folder) == MAJOR]
    for folder in preferred + folders:
        if all((folder / name).is_file() for name in BINARIES):
            return folder
    missing = ", ".join(name for name, path in zip(BINARIES, found, strict=True) if not path)
    message = (
        f"PostgreSQL {MAJOR} binaries ({', '.join(BINARIES)}) not found: {missing} not on "
        f"PATH, and no {pattern} holds them"
    )
    raise Unavailable(message)


def _version_key(folder: pathlib.Path) -> int:
    name = folder.parent.name
    return int(name) if name.isdigit() else 0


class Server:
    """A running throwaway server; :meth:`database` gives each test its own database."""

    def __init__(self, folder: pathlib.Path, binaries: pathlib.Path, prefix: Sequence[str]) -> None:
        self.folder = folder
        """The temporary folder: the cluster (``data/``), the socket and the log."""
        self.binaries = binaries
        """The folder of ``initdb``, ``pg_ctl`` and ``postgres``."""
        self.version = ""
        """The server's version: ``PostgreSQL 15.18``."""
        self.databases = 0
        """How many databases the tests asked for."""
        self._prefix = tuple(prefix)
        self._watchdog: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> pathlib.Path:
        """The cluster's folder."""
        return self.folder / "data"

    @property
    def log(self) -> pathlib.Path:
        """The server's log file."""
        return self.folder / "server.log"

    def url(self, database: str = "postgres", **parameters: str) -> str:
        """The URL of ``database`` on this server, as user ``postgres``."""
        query = "".join(f"&{name}={value}" for name, value in parameters.items())
        return f"postgresql:///{database}?host={self.folder}&port={PORT}&user=postgres{query}"

    def database(self) -> str:
        """Make a new, empty database ``t_<n>`` and return its URL."""
        import psycopg  # noqa: PLC0415 - the driver is only needed once a test asks for it

        self.databases += 1
        name = f"t_{self.databases}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database of ``url``, closing whatever connections are left on it."""
        import psycopg  # noqa: PLC0415

        name = url.split("?", 1)[0].rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server and remove its folder (through the watchdog); twice is harmless."""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return
        stdin: IO[bytes] | None = watchdog.stdin
        if stdin is not None:
            stdin.close()
        try:
            watchdog.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watchdog.kill()
            watchdog.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, *command: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own arguments
            [*self._prefix, *command],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
        )
        if result.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            message = (
                f"{pathlib.Path(command[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}\n{log}"
            )
            raise Unavailable(message)
        return result.stdout

    def _start(self) -> None:
        initdb = str(self.binaries / "initdb")
        pg_ctl = str(self.binaries / "pg_ctl")
        printed = self._run(str(self.binaries / "postgres"), "--version").strip()
        number = re.search(r"\(PostgreSQL\) (\S+)", printed)
        self.version = f"PostgreSQL {number[1]}" if number else printed
        self._run(
            initdb,
            "--pgdata",
            str(self.data),
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--username=postgres",
            "--no-sync",
        )
        settings = {
            **SETTINGS,
            "unix_socket_directories": f"'{self.folder}'",
            "port": str(PORT),
        }
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        # The watchdog exists before the server does, so that no way of dying leaves it running.
        self._watchdog = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-c",
                _WATCHDOG,
                pg_ctl,
                str(self.data),
                str(self.folder),
                *self._prefix,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to the test process group must not kill it
        )
        self._run(pg_ctl, "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60")


def start() -> Server:
    """Make and start a throwaway server in a new temporary folder.

    Raises:
        Unavailable: the binaries are missing, or the server would not start (the message
            holds the end of its log).
    """
    binaries = find_binaries()
    prefix: list[str] = []
    folder = pathlib.Path(tempfile.mkdtemp(prefix="residency-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            shutil.rmtree(folder, ignore_errors=True)
            message = "the tests run as root, and runuser (to run PostgreSQL as postgres) is absent"
            raise Unavailable(message)
        try:
            shutil.chown(folder, user="postgres", group=None)
        except (LookupError, OSError) as error:
            shutil.rmtree(folder, ignore_errors=True)
            message = f"the tests run as root, and no postgres user can own the server ({error})"
            raise Unavailable(message) from None
        prefix = [runuser, "-u", "postgres", "--"]
    server = Server(folder, binaries, prefix)
    try:
        server._start()
    except BaseException:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return server
