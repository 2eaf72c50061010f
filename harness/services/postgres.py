"""A private PostgreSQL cluster: cached initdb, pg_ctl, a free loopback port, fsync off.

``start_private()`` returns a ``state.Record`` for a running cluster that nobody else uses:

1. binaries from ``binaries.find_postgres()`` (no version hard-coded);
2. the data directory, in ``state.run_dir()`` (``/dev/shm`` when it has room): a copy of a cached
   initdb template when there is one (a copy takes a tenth of an initdb), otherwise initdb, whose
   result becomes the template: snapshotted in memory, then written to the cache by a background
   thread while the server starts. The cache lives in ``$HARNESS_CACHE_DIR`` or
   ``~/.cache/nose-harness/``, keyed by the binaries' directory, the server version, the account
   and the initdb options, so an upgrade or another account never reuses a stale template; the
   four most recently used templates are kept;
3. ``harness.conf``, included from ``postgresql.conf``: ``listen_addresses = '127.0.0.1'``, a free
   port, no Unix socket, ``fsync``/``synchronous_commit``/``full_page_writes`` off (the data is
   thrown away; durability only costs time), dynamic shared memory in the data directory (a
   killed server leaves nothing behind in ``/dev/shm``);
4. ``pg_ctl start -w``, while the harness itself watches ``postmaster.pid`` for "ready" every few
   milliseconds (pg_ctl looks ten times a second). If pg_ctl fails first (the server died, even
   before writing its pid file), the error shows the tail of the server's log. A port taken in
   the meantime is retried with another.

Under root, initdb and the server run as ``process.server_user()`` (an unprivileged account,
created if missing) and the instance directory is handed to it.

Clients connect as the superuser ``postgres`` with trust authentication on 127.0.0.1:
``postgresql://postgres@127.0.0.1:PORT/postgres``. Stopping is an immediate shutdown (SIGQUIT):
the cluster is disposable and its directory is deleted.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from harness.errors import ServiceError
from harness.services import binaries, ports, process, state
from harness.services.progress import Progress

SUPERUSER = "postgres"
INITDB_OPTIONS = ("-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "-N")
START_TIMEOUT = 60.0
KEEP_TEMPLATES = 4  # per cache: a PostgreSQL upgrade must not leave old templates forever
_publishing = []  # threads writing a new template to the cache

MARKER = "-D {root}/data"  # on the postmaster's command line: tells our server from any other
PORT_ATTEMPTS = 3

SETTINGS = """\
# written by nose-harness for a private, disposable cluster
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
dynamic_shared_memory_type = mmap
"""


def cache_dir(environ=None):
    """Where initdb templates are kept across runs."""
    environ = os.environ if environ is None else environ
    if environ.get("HARNESS_CACHE_DIR"):
        return environ["HARNESS_CACHE_DIR"]
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nose-harness")


def initdb_options(pg):
    # 1 MiB WAL segments (PostgreSQL 11+) instead of 16: the template to copy shrinks by 15 MiB
    major = int(pg.version.split(".")[0]) if pg.version[:1].isdigit() else 0
    return INITDB_OPTIONS + (("--wal-segsize=1",) if major >= 11 else ())


def template_path(pg, user, cache):
    key = "\0".join((pg.bindir, pg.version, user.name, *initdb_options(pg)))
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return os.path.join(cache, "postgres", f"{pg.version}-{digest}")


def start_private(owner="run", progress=None, environ=None, pg=None, cache=None, use_cache=True):
    """Start a private cluster; returns its ``state.Record`` (not yet saved in any state file)."""
    progress = progress or Progress()
    environ = os.environ if environ is None else environ
    if pg is None:
        with progress.step("postgres", binaries.FIND_STEPS["postgres"]):
            pg = binaries.find_postgres(environ)
    user = process.server_user(environ)
    cache = cache or cache_dir(environ)
    template = template_path(pg, user, cache)
    root = state.make_root("postgres", owner=owner, markers=(MARKER,),
                           base=state.run_dir(environ))
    data = os.path.join(root, "data")
    try:
        user.chown_tree(root)
        if use_cache and os.path.isdir(template):
            with progress.step("postgres", "copy cached initdb template"):
                copy_tree(template, data)
                user.chown_tree(data)
                os.utime(template)  # most recently used: kept when old templates are pruned
        else:
            with progress.step("postgres", f"initdb (PostgreSQL {pg.version}, no cache yet)"):
                _initdb(pg, user, data, root)
            if use_cache:
                with progress.step("postgres", "snapshot it for the cache (saved meanwhile)"):
                    _save_template(data, template)
        attempts_left = PORT_ATTEMPTS
        while True:
            attempts_left -= 1
            port = ports.free_ports(1)[0]
            with open(os.path.join(data, "harness.conf"), "w", encoding="utf-8") as handle:
                handle.write(SETTINGS.format(port=port))
            with progress.step("postgres", f"pg_ctl start on 127.0.0.1:{port} until ready"):
                # returns None when the port was taken meanwhile; the last attempt raises instead
                record = _start(pg, user, root, data, port, owner,
                                last_attempt=attempts_left == 0)
            if record:
                return record
    except BaseException:
        state.remove_root(root)
        raise


def _initdb(pg, user, data, root):
    log = os.path.join(root, "initdb.log")
    with open(log, "wb") as out:
        result = subprocess.run([pg.tool("initdb"), "-D", data, *initdb_options(pg)],
                                stdout=out, stderr=subprocess.STDOUT, cwd=root,
                                env=_server_env(root), **user.popen_kwargs())
    if result.returncode != 0:
        detail = process.tail([log])
        causes = "a full disk or a broken PostgreSQL install are the usual causes"
        raise ServiceError(f"initdb failed (exit status {result.returncode}) as user {user.name}",
                           detail=detail,
                           fix=process.log_fix(detail, f"read the log above; {causes}", causes))
    with open(os.path.join(data, "postgresql.conf"), "a", encoding="utf-8") as conf:
        conf.write("\ninclude_if_exists = 'harness.conf'\n")


def _save_template(data, template):
    """Snapshot ``data`` next to it (same, usually in-memory, filesystem: fast), then publish the
    snapshot as the template from a background thread, so that the slow write to the cache's
    disk does not delay the server. Publishing is atomic; a concurrent publisher may win."""
    snapshot = state.make_root("template", base=os.path.dirname(os.path.dirname(data)))
    copy_tree(data, os.path.join(snapshot, "data"))
    thread = threading.Thread(target=_publish, args=(snapshot, template),
                              name="harness-template", daemon=False)
    _publishing.append(thread)
    thread.start()


def wait_for_cache(timeout=60.0):
    """Wait until templates being saved in the background are in the cache."""
    while _publishing:
        _publishing.pop().join(timeout)


def _publish(snapshot, template):
    parent = os.path.dirname(template)
    try:
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".staging-", dir=parent)
        try:
            copy_tree(os.path.join(snapshot, "data"), os.path.join(staging, "data"))
            os.rename(os.path.join(staging, "data"), template)
            _prune_templates(parent)
        except OSError:
            pass  # another run published the same template first, or the disk is full
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError:
        pass  # no cache this time: the next start runs initdb again
    finally:
        state.remove_root(snapshot)


def _prune_templates(parent, keep=KEEP_TEMPLATES):
    """Delete all but the ``keep`` most recently used templates (old versions, old accounts)."""
    entries = [os.path.join(parent, name) for name in os.listdir(parent)
               if not name.startswith(".")]
    entries.sort(key=os.path.getmtime, reverse=True)
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def copy_tree(source, target):
    """Copy a data directory; GNU ``cp -a`` (reflinks where the filesystem has them) is faster
    than copying file by file in Python."""
    cp = shutil.which("cp")
    if cp and sys.platform.startswith("linux"):
        done = subprocess.run([cp, "-a", "--reflink=auto", source, target], capture_output=True)
        if done.returncode == 0:
            return
        shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


def _server_env(root):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(HOME=root, LC_ALL="C")
    return env


def _start(pg, user, root, data, port, owner, last_attempt):
    log = os.path.join(root, "postgres.log")
    if os.path.exists(log):
        os.unlink(log)  # pg_ctl appends: a failed attempt's FATAL must not fail the retry
    started = time.time()
    # pg_ctl -w knows when the postmaster dies before writing its pid file; the harness polls
    # the pid file itself meanwhile, because pg_ctl only looks ten times a second
    with open(os.path.join(root, "pg_ctl.log"), "wb") as out:
        pg_ctl = subprocess.Popen(
            [pg.tool("pg_ctl"), "start", "-w", "-t", str(int(START_TIMEOUT)), "-s",
             "-D", data, "-l", log],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=root,
            env=_server_env(root), **user.popen_kwargs())
    pid = _wait_ready(pg_ctl, data, log, port, last_attempt)
    # pg_ctl notices "ready" at its next tick and exits; reap it without waiting for it
    threading.Thread(target=pg_ctl.wait, daemon=True).start()
    if pid is None:
        return None
    return state.Record(
        kind="postgres", id=f"postgres-{uuid.uuid4().hex[:8]}",
        url=f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres",
        owner=owner, port=port, ports={"postgres": port},
        procs=[state.Proc("postgres", pid, marker=MARKER.format(root=root),
                          stop_signal="SIGQUIT")],
        root=root, logs=[log], os_user=user.name, version=f"PostgreSQL {pg.version}",
        started_at=started, **(state.owner_fields() if owner == "run" else {}))


def _wait_ready(pg_ctl, data, log, port, last_attempt):
    """The postmaster's pid once it is ready; None when the port was taken (retry)."""
    pidfile = os.path.join(data, "postmaster.pid")
    delay = 0.002
    while True:
        lines = _read_lines(pidfile)
        if len(lines) >= 8 and lines[0].strip().isdigit() and lines[7].strip() == "ready":
            return int(lines[0])
        status = pg_ctl.poll()
        if status == 0:
            # pg_ctl saw "ready" between our reads
            lines = _read_lines(pidfile)
            if lines and lines[0].strip().isdigit():
                return int(lines[0])
        if status is not None:
            text = "\n".join(_read_lines(log))
            if ("could not bind" in text or "in use" in text) and not last_attempt:
                return None
            logs = [os.path.join(os.path.dirname(log), "pg_ctl.log"), log]
            detail = process.tail(logs)
            raise ServiceError(f"the private PostgreSQL failed to start on port {port}",
                               detail=detail, fix=process.log_fix(
                                   detail, "read the log above; the instance and its full log "
                                           "were deleted",
                                   "check the install: run postgres --version from the bindir; "
                                   "the instance was deleted"))
        time.sleep(delay)
        delay = min(delay * 1.5, 0.02)


def _read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().splitlines()
    except OSError:
        return []
