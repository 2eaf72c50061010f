"""The state file: which instances exist, who owns them, and whether they are still what it says.

``<state_dir>/services.json`` (``state_dir`` from ``harness.config.state_dir()``, default
``.harness/`` in the project) holds one record per instance: kind, URL, pids, ports, directory,
owner. It is written with mode 0600 (URLs may carry passwords) under an exclusive lock
(``services.lock``), so concurrent runs and ``harness services up`` never lose each other's
records.

Owners: ``up`` (left running by ``harness services up`` for many runs) or ``run`` (started by one
test run, which records its own pid; the run stops it at the end).

Nothing in the file is trusted. ``problem(record)`` checks each claim against the machine:

- a private instance whose pid is gone, or whose pid now belongs to another program (its command
  line lacks the instance's marker), is stale;
- one whose port is held by a process that is not ours is stale, and that process is left alone;
- one started by a test run that has since ended (crashed, killed) is an orphan;
- an external URL that no longer answers is stale.

``discard(record)`` stops only processes that are provably ours and deletes only directories that
carry the harness's marker file.
"""

import contextlib
import fcntl
import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import asdict, dataclass, field

from harness.services import ports, process

FILENAME = "services.json"
MARKER_FILE = ".nose-harness-instance"
PREFIX = "nose-harness-"


@dataclass
class Proc:
    name: str
    pid: int
    marker: str            # text that the process's command line must contain to be ours
    stop_signal: str = "SIGTERM"


@dataclass
class Record:
    kind: str              # "postgres" | "rabbitmq"
    id: str
    url: str
    owner: str             # "up" | "run"
    external: bool = False
    source: str = ""       # where an external URL came from
    owner_pid: int = 0
    owner_token: str = ""  # start time of the owner, against pid reuse
    port: int = 0          # the port clients use
    ports: dict = field(default_factory=dict)
    procs: list = field(default_factory=list)
    root: str = ""         # instance directory (data, logs, HOME), deleted on discard
    logs: list = field(default_factory=list)
    os_user: str = ""
    version: str = ""
    started_at: float = 0.0
    extra: dict = field(default_factory=dict)  # kind-specific facts: node name, rabbitmqctl

    def __post_init__(self):
        self.procs = [proc if isinstance(proc, Proc) else Proc(**proc) for proc in self.procs]

    @property
    def pid(self):
        return self.procs[0].pid if self.procs else 0

    def to_json(self):
        return asdict(self)


class StateFile:
    """The locked, 0600 JSON list of records in ``directory``."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.path = os.path.join(self.directory, FILENAME)

    @contextlib.contextmanager
    def edit(self):
        """Yield the list of records under the lock; whatever it holds afterwards is saved."""
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        with open(os.path.join(self.directory, "services.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                records = self._load()
                yield records
                self._save(records)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def records(self):
        """A snapshot of the records, for reading only."""
        if not os.path.exists(self.path):
            return []
        with open(os.path.join(self.directory, "services.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)
            try:
                return self._load()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            return [Record(**item) for item in data.get("instances", [])]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError, AttributeError):
            # a damaged or foreign file: start afresh rather than trust any of it
            return []

    def _save(self, records):
        tmp = f"{self.path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"version": 1, "instances": [record.to_json() for record in records]},
                      handle, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


def owner_fields():
    """``owner_pid`` and ``owner_token`` for a record owned by this process."""
    return {"owner_pid": os.getpid(), "owner_token": process.start_token(os.getpid()) or ""}


def problem(record, check_external=None):
    """Why ``record`` cannot be trusted, or None when it is what it claims."""
    if record.external:
        if check_external is None:
            return None
        try:
            check_external(record)
        except Exception as error:  # ServiceError, or a driver error: both mean "do not use"
            return f"the recorded URL no longer answers: {getattr(error, 'message', error)}"
        return None
    if record.owner == "run" and _owner_gone(record):
        return f"orphan: the test run (pid {record.owner_pid}) that started it has ended"
    main = record.procs[0] if record.procs else None
    if main is None:
        return "no process recorded"
    if not process.alive(main.pid):
        if record.port and ports.listening(record.port):
            return f"pid {main.pid} is gone and port {record.port} is now held by another process"
        return f"pid {main.pid} is gone"
    if not process.is_ours(main.pid, main.marker):
        return f"pid {main.pid} now belongs to another program"
    if record.port and not ports.listening(record.port):
        return f"pid {main.pid} runs but does not answer on port {record.port}"
    return None


def _owner_gone(record):
    if not process.alive(record.owner_pid):
        return True
    token = process.start_token(record.owner_pid)
    return bool(record.owner_token and token and token != record.owner_token)


def discard(record, timeout=10.0):
    """Stop the record's processes that are ours and delete its marked directory."""
    for proc in record.procs:
        sig = getattr(signal, proc.stop_signal, signal.SIGTERM)
        process.stop(proc.pid, proc.marker, sig=sig, timeout=timeout)
    remove_root(record.root)


def remove_root(root):
    """Delete an instance directory, only if the harness made it (it holds the marker file)."""
    if root and os.path.isfile(os.path.join(root, MARKER_FILE)):
        shutil.rmtree(root, ignore_errors=True)


def run_dir(environ=None):
    """Where instance directories go: ``HARNESS_RUN_DIR``, else ``/dev/shm``, else the temp dir.

    Instances are disposable, so memory is the right place for them: on a busy disk, copying
    a PostgreSQL template to ``/dev/shm`` takes a tenth of the time. ``/dev/shm`` is only used
    when it has at least 1 GiB free (Docker's default is 64 MiB).
    """
    environ = os.environ if environ is None else environ
    if environ.get("HARNESS_RUN_DIR"):
        return environ["HARNESS_RUN_DIR"]
    shm = "/dev/shm"
    try:
        stats = os.statvfs(shm)
        if os.access(shm, os.W_OK | os.X_OK) and stats.f_bavail * stats.f_frsize >= 1 << 30:
            return shm
    except OSError:
        pass
    return tempfile.gettempdir()


def make_root(kind, owner="run", markers=(), base=None):
    """A new, unique instance directory (mode 0700) carrying the harness's marker file.

    The marker file records who created the directory, for whom (``owner``), and the text that
    the command line of each of the instance's processes will contain (``markers``, with
    ``{root}`` replaced by the directory), so that ``sweep()`` can tell debris (a run killed
    while its server booted) from a directory in use, and find the processes to stop.
    """
    base = base or run_dir()
    os.makedirs(base, exist_ok=True)
    root = tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-", dir=base)
    creator = os.getpid()
    with open(os.path.join(root, MARKER_FILE), "w", encoding="utf-8") as handle:
        json.dump({"kind": kind, "owner": owner, "pid": creator,
                   "token": process.start_token(creator) or "", "created": time.time(),
                   "markers": [marker.format(root=root) for marker in markers]}, handle)
    return root


def sweep(base=None):
    """Delete instance directories nobody can use any more; returns the paths removed.

    A directory whose creator still runs is left alone. Otherwise the instance's processes are
    those whose command line contains one of its markers (``-D <root>/data`` for PostgreSQL,
    ``-home <root>/home`` for the Erlang VM, ``<root>/epmd -port`` for its epmd). A ``run``
    instance whose run has ended is stopped and deleted; an ``up`` instance is deleted only when
    none of its processes runs (``up`` exits as soon as its servers are ready).
    """
    base = base or run_dir()
    try:
        names = [name for name in os.listdir(base) if name.startswith(PREFIX)]
    except OSError:
        return []
    candidates = []
    for name in names:
        root = os.path.join(base, name)
        info = _marker(root)
        if info is None or _creator_alive(info):
            continue
        candidates.append((root, info))
    if not candidates:
        return []
    running = process.cmdlines()
    removed = []
    for root, info in candidates:
        markers = [marker for marker in info.get("markers", ()) if root in marker]
        users = {pid: marker for pid, line in running.items()
                 for marker in markers if marker in line}
        if users and info.get("owner") != "run":
            continue
        for pid, marker in users.items():
            process.stop(pid, marker, sig=signal.SIGTERM, timeout=5.0)
        remove_root(root)
        removed.append(root)
    return removed


def _marker(root):
    try:
        with open(os.path.join(root, MARKER_FILE), encoding="utf-8") as handle:
            info = json.load(handle)
        return info if isinstance(info, dict) else None
    except (OSError, ValueError):
        return None


def _creator_alive(info):
    pid = info.get("pid")
    if not isinstance(pid, int) or not process.alive(pid):
        return False
    token = process.start_token(pid)
    return not (info.get("token") and token and token != info["token"])
