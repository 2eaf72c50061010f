"""Processes the harness starts: is a pid alive, is it still ours, stop it, run as whom.

A pid in a state file is a claim, not a fact: the process may have died and its number been
reused. ``is_ours(pid, marker)`` only answers yes when the process is alive and its command line
contains a marker the harness put there (a data directory, a node name), so that nothing the
harness did not start is ever signalled.

PostgreSQL refuses to run as root. ``server_user()`` picks the account the server runs as: the
current user, or under root an unprivileged account (``HARNESS_PG_OS_USER``, default
``nose-harness``), created with ``useradd`` when missing.
"""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from harness.errors import ServiceError

DEFAULT_OS_USER = "nose-harness"


def alive(pid):
    """True when ``pid`` names a running (not zombie) process."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    return _state(pid) not in ("Z", "X", "gone")


def _state(pid):
    """The state letter of ``pid`` from /proc; "gone" when /proc exists but has no (readable)
    entry for it (a zombie being reaped), None on systems without /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone" if os.path.isdir("/proc/self") else None


def cmdline(pid):
    """The command line of ``pid`` as one string, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None  # Linux: no such process
    except OSError:
        return None
    try:  # macOS and other systems without /proc
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def cmdlines():
    """``{pid: command line}`` of every process we can see."""
    found = {}
    if os.path.isdir("/proc/self"):
        for name in os.listdir("/proc"):
            if name.isdigit():
                line = cmdline(int(name))
                if line:
                    found[int(name)] = line
        return found
    try:
        out = subprocess.run(["ps", "-axo", "pid=,command="], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return found
    for row in out.splitlines():
        pid, _, line = row.strip().partition(" ")
        if pid.isdigit():
            found[int(pid)] = line.strip()
    return found


def start_token(pid):
    """Something that changes when ``pid`` is reused: the process start time."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None
    except (OSError, IndexError):
        return None
    try:
        out = subprocess.run(["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def is_ours(pid, marker):
    """True when ``pid`` is alive and its command line contains ``marker``."""
    if not alive(pid):
        return False
    line = cmdline(pid)
    return bool(line) and marker in line


def wait_gone(pid, timeout):
    """Wait until ``pid`` has exited (reaping it when it is our child); True when it has."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return True
        except ChildProcessError:
            pass  # not our child: init reaps it
        if not alive(pid):
            try:
                os.waitpid(pid, 0)  # a zombie child of ours: reap it now
            except ChildProcessError:
                pass
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def stop(pid, marker, sig=signal.SIGTERM, timeout=10.0):
    """Stop ``pid`` with ``sig``, then SIGKILL after ``timeout``; only if it is ours.

    Returns True when a process of ours was stopped, False when there was nothing of ours to stop.
    """
    if not is_ours(pid, marker):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    if not wait_gone(pid, timeout):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        wait_gone(pid, 5.0)
    return True


@dataclass(frozen=True)
class OsUser:
    name: str
    uid: int
    gid: int

    @property
    def is_current(self):
        return self.uid == os.geteuid()

    def popen_kwargs(self):
        """Keyword arguments for subprocess that run the child as this user."""
        if self.is_current:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown_tree(self, path):
        """Give ``path`` and everything under it to this user."""
        if self.is_current:
            return
        os.chown(path, self.uid, self.gid)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.chown(os.path.join(root, name), self.uid, self.gid, follow_symlinks=False)


def current_user():
    entry = pwd.getpwuid(os.geteuid())
    return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def server_user(environ=None):
    """The account a PostgreSQL server runs as: ourselves, or an unprivileged one under root."""
    if os.geteuid() != 0:
        return current_user()
    environ = os.environ if environ is None else environ
    name = environ.get("HARNESS_PG_OS_USER") or DEFAULT_OS_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = _create_user(name)
    if entry.pw_uid == 0:
        raise ServiceError(f"HARNESS_PG_OS_USER={name} is root; PostgreSQL refuses to run as root",
                           fix="set HARNESS_PG_OS_USER to an unprivileged account, or unset it")
    return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _create_user(name):
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if not os.path.exists(useradd):
        raise ServiceError(
            f"running as root, PostgreSQL needs an unprivileged account and '{name}' does not exist",
            fix=f"create it (macOS: sysadminctl -addUser {name}), or set HARNESS_PG_OS_USER to an "
                "existing unprivileged account, or run the tests as a normal user")
    result = subprocess.run(
        [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--user-group", name],
        capture_output=True, text=True)
    try:  # a concurrent run may have created it first: that is fine
        return pwd.getpwnam(name)
    except KeyError:
        raise ServiceError(f"could not create the unprivileged account '{name}' for PostgreSQL",
                           detail=result.stderr.strip() or None,
                           fix="create it yourself (useradd --system nose-harness) or set "
                               "HARNESS_PG_OS_USER to an existing unprivileged account") from None


def detached():
    """Popen keyword arguments for a server that must outlive Ctrl-C in the terminal."""
    return {"start_new_session": True, "close_fds": True} if sys.platform != "win32" else {}


NO_LOG = "(the server wrote no log)"


def tail(paths, lines=25):
    """The last ``lines`` lines of the first existing, non-empty file in ``paths``, one per file."""
    chunks = []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read().rstrip().splitlines()[-lines:]
        except OSError:
            continue
        if text:
            chunks.append(f"last {len(text)} lines of {path}:\n" + "\n".join(text))
    return "\n".join(chunks) or NO_LOG


def log_fix(detail, with_log, without_log):
    """``with_log`` when ``detail`` (from ``tail``) shows a log, else ``without_log``."""
    return without_log if detail == NO_LOG else with_log
