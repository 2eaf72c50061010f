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
Debian/Ubuntu and macOS. ``find_all(kinds)`` looks up both before failing, so that one message
covers both servers when neither is installed.
"""

import glob
import os
import re
import subprocess
from dataclasses import dataclass

from harness.errors import ServiceError
from harness.services.progress import Progress

PG_TOOLS = ("initdb", "pg_ctl", "postgres")
FIND_STEPS = {"postgres": "find initdb, pg_ctl, postgres", "rabbitmq": "find rabbitmq-server, epmd"}

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
    try:
        return _find_postgres(environ, globs)
    except _NotFound as missing:
        raise _missing_error([missing]) from None


def _find_postgres(environ, globs):
    searched = pg_candidates(environ, globs)
    for bindir in searched:
        if all(_executable(os.path.join(bindir, tool)) for tool in PG_TOOLS):
            return PgBinaries(bindir, _pg_version(os.path.join(bindir, "postgres")))
    raise _NotFound("postgres", "PostgreSQL server binaries (initdb, pg_ctl, postgres)", searched)


def _pg_version(postgres):
    try:
        out = subprocess.run([postgres, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"(\d+(?:\.\d+)*)", out.stdout)
    return match.group(1) if match else "unknown"


def find_rabbitmq(environ=None, dirs=RABBIT_DIRS, epmd_dirs=EPMD_DIRS):
    """``rabbitmq-server`` and ``epmd``, as ``RabbitBinaries``."""
    try:
        return _find_rabbitmq(environ, dirs, epmd_dirs)
    except _NotFound as missing:
        raise _missing_error([missing]) from None


def _find_rabbitmq(environ, dirs, epmd_dirs):
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
    raise _NotFound("rabbitmq", missing, _unique(searched if not server else epmd_searched))


def find_all(kinds, environ=None, progress=None):
    """``{kind: PgBinaries or RabbitBinaries}`` for every kind in ``kinds``.

    Every kind is looked up before anything fails, so that one ``ServiceError`` names all that
    is missing (one install command for both, rather than one server at a time).
    """
    progress = progress or Progress()
    finders = {"postgres": lambda: _find_postgres(environ, PG_GLOBS),
               "rabbitmq": lambda: _find_rabbitmq(environ, RABBIT_DIRS, EPMD_DIRS)}
    found, missing = {}, []
    for kind in kinds:
        try:
            with progress.step(kind, FIND_STEPS[kind]):
                found[kind] = finders[kind]()
        except _NotFound as error:
            missing.append(error)
    if missing:
        raise _missing_error(missing)
    return found


class _NotFound(Exception):
    """What was missing for ``kind`` and every place searched; becomes a ``ServiceError``."""

    def __init__(self, kind, what, places):
        super().__init__(what)
        self.kind, self.what, self.places = kind, what, places


_HINTS = {
    "postgres": {"server": "PostgreSQL", "apt": "postgresql", "brew": "postgresql",
                 "setting": "HARNESS_PG_BINDIR to the directory holding initdb",
                 "url": "--pg-url / HARNESS_PG_URL"},
    "rabbitmq": {"server": "RabbitMQ", "apt": "rabbitmq-server", "brew": "rabbitmq",
                 "setting": "HARNESS_RABBITMQ_SERVER to the rabbitmq-server script",
                 "url": "--amqp-url / HARNESS_AMQP_URL"},
}


def _missing_error(missing):
    """One ``ServiceError`` for every ``_NotFound``: places searched, one install command."""
    hints = [_HINTS[item.kind] for item in missing]

    def each(key):
        return [hint[key] for hint in hints]

    servers = " and ".join(each("server"))
    detail = []
    for item in missing:
        detail.append("searched:" if len(missing) == 1 else f"searched for {item.what}:")
        detail.extend(f"  {entry}" for entry in item.places)
    detail.append("install them:")
    detail.append("  Debian/Ubuntu: sudo apt-get install " + " ".join(each("apt")))
    detail.append("  macOS: brew install " + " ".join(each("brew")))
    external = "an external server" if len(missing) == 1 else "external servers"
    return ServiceError(
        f"{' and '.join(item.what for item in missing)} not found, so a private {servers} "
        "cannot be started",
        detail="\n".join(detail),
        fix=f"install {servers} as above, set {' and '.join(each('setting'))}, or give "
            f"{external} with {' and '.join(each('url'))}")


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
