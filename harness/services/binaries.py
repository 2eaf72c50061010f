"""Finding the server binaries for private instances, and saying how to install them.

PostgreSQL (``initdb``, ``pg_ctl``, ``postgres`` in one directory) is searched, in order, in
``pg_config --bindir``, every directory of ``PATH`` (symlinks resolved),
``/usr/lib/postgresql/*/bin`` (newest version first) and the usual Homebrew, Postgres.app and RHEL
places. No version is hard-coded. ``HARNESS_PG_BINDIR`` replaces the search: a directory chosen
on purpose that lacks the tools is an error, not a reason to pick another PostgreSQL.

RabbitMQ (``rabbitmq-server``, plus Erlang's ``epmd``) is ``HARNESS_RABBITMQ_SERVER`` when set,
else searched in ``/usr/lib/rabbitmq/bin`` (Debian's real script: the ``/usr/sbin`` one is a wrapper that switches to
the ``rabbitmq`` user and its directories), ``PATH``, the sbin directories and Homebrew.

When nothing is found, ``ServiceError`` lists every place searched and the install command for
Debian/Ubuntu and macOS.
"""

import glob
import os
import re
import subprocess
from dataclasses import dataclass

from harness.errors import ServiceError

PG_TOOLS = ("initdb", "pg_ctl", "postgres")

PG_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
    "/Applications/Postgres.app/Contents/Versions/*/bin",
)

RABBIT_DIRS = (
    "/usr/lib/rabbitmq/bin",
    "/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin",
    "/usr/sbin",
    "/usr/local/sbin",
    "/opt/homebrew/sbin",
    "/opt/homebrew/opt/rabbitmq/sbin",
    "/usr/local/opt/rabbitmq/sbin",
)

EPMD_DIRS = ("/usr/lib/erlang/bin", "/usr/lib/erlang/erts-*/bin", "/usr/local/lib/erlang/bin",
             "/opt/homebrew/bin", "/opt/homebrew/opt/erlang/bin", "/usr/local/opt/erlang/bin")

PG_INSTALL = ("Debian/Ubuntu: sudo apt-get install postgresql",
              "macOS: brew install postgresql")
RABBIT_INSTALL = ("Debian/Ubuntu: sudo apt-get install rabbitmq-server",
                  "macOS: brew install rabbitmq")


@dataclass(frozen=True)
class PgBinaries:
    bindir: str
    version: str  # "15.20", from ``postgres --version``

    def tool(self, name):
        return os.path.join(self.bindir, name)


@dataclass(frozen=True)
class RabbitBinaries:
    server: str
    epmd: str


def _executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _version_key(path):
    return [int(part) for part in re.findall(r"\d+", path)]


def _expand(patterns):
    found = []
    for pattern in patterns:
        found.extend(sorted(glob.glob(pattern), key=_version_key, reverse=True) or [pattern])
    return found


def _path_dirs(environ):
    return [entry for entry in environ.get("PATH", "").split(os.pathsep) if entry]


def pg_candidates(environ=None, globs=PG_GLOBS):
    """Directories that may hold PostgreSQL's server binaries, in search order."""
    environ = os.environ if environ is None else environ
    if environ.get("HARNESS_PG_BINDIR"):
        return [environ["HARNESS_PG_BINDIR"]]  # an explicit choice: never another PostgreSQL
    dirs = []
    for entry in _path_dirs(environ):
        pg_config = os.path.join(entry, "pg_config")
        if _executable(pg_config):
            try:
                out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                     timeout=10)
                if out.returncode == 0 and out.stdout.strip():
                    dirs.append(out.stdout.strip())
            except (OSError, subprocess.TimeoutExpired):
                pass
            break
    for entry in _path_dirs(environ):
        initdb = os.path.join(entry, "initdb")
        # /usr/local/bin/initdb may be a symlink into the real bindir that also holds postgres
        dirs.append(os.path.dirname(os.path.realpath(initdb)) if os.path.exists(initdb) else entry)
    dirs.extend(_expand(globs))
    unique = []
    for entry in dirs:
        if entry not in unique:
            unique.append(entry)
    return unique


def find_postgres(environ=None, globs=PG_GLOBS):
    """The first directory holding initdb, pg_ctl and postgres, as ``PgBinaries``."""
    searched = pg_candidates(environ, globs)
    for bindir in searched:
        if all(_executable(os.path.join(bindir, tool)) for tool in PG_TOOLS):
            return PgBinaries(bindir, _pg_version(os.path.join(bindir, "postgres")))
    raise ServiceError(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found, so a private "
        "PostgreSQL cannot be started",
        detail="searched:\n" + "\n".join(f"  {entry}" for entry in searched)
               + "\ninstall them:\n" + "\n".join(f"  {line}" for line in PG_INSTALL),
        fix="install PostgreSQL as above, set HARNESS_PG_BINDIR to the directory holding initdb, "
            "or give an external server with --pg-url / HARNESS_PG_URL")


def _pg_version(postgres):
    try:
        out = subprocess.run([postgres, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"(\d+(?:\.\d+)*)", out.stdout)
    return match.group(1) if match else "unknown"


def find_rabbitmq(environ=None, dirs=RABBIT_DIRS, epmd_dirs=EPMD_DIRS):
    """``rabbitmq-server`` and ``epmd``, as ``RabbitBinaries``."""
    environ = os.environ if environ is None else environ
    if environ.get("HARNESS_RABBITMQ_SERVER"):
        searched = [environ["HARNESS_RABBITMQ_SERVER"]]  # an explicit choice: nothing else
    else:
        candidates = _expand(dirs[:2]) + _path_dirs(environ) + _expand(dirs[2:])
        searched = [os.path.join(entry, "rabbitmq-server") for entry in candidates]
    server = next((path for path in _unique(searched) if _usable_server(path)), None)
    epmd_searched = [os.path.join(entry, "epmd")
                     for entry in _path_dirs(environ) + _expand(epmd_dirs)]
    if server:
        # Erlang ships epmd next to erl; rabbitmq-server runs the erl found on PATH
        epmd_searched.append(os.path.join(os.path.dirname(os.path.realpath(server)), "epmd"))
    epmd = next((path for path in _unique(epmd_searched) if _executable(path)), None)
    if server and epmd:
        return RabbitBinaries(server, epmd)
    missing = "rabbitmq-server" if not server else "Erlang's epmd"
    places = _unique(searched if not server else epmd_searched)
    raise ServiceError(
        f"{missing} not found, so a private RabbitMQ cannot be started",
        detail="searched:\n" + "\n".join(f"  {entry}" for entry in places)
               + "\ninstall it:\n" + "\n".join(f"  {line}" for line in RABBIT_INSTALL),
        fix="install RabbitMQ as above, set HARNESS_RABBITMQ_SERVER to the rabbitmq-server "
            "script, or give an external broker with --amqp-url / HARNESS_AMQP_URL")


def _usable_server(path):
    if not _executable(path):
        return False
    # Debian's /usr/sbin/rabbitmq-server switches user and directory; the real script is used
    return os.path.basename(os.path.realpath(path)) != "rabbitmq-script-wrapper"


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
