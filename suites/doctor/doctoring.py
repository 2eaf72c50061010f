"""Run ``harness doctor`` as a user would, in a controlled environment, and read its JSON.

``doctor()`` runs the real CLI in a subprocess with a clean environment: no NOSE_* variables, no
PYTHONPATH, a PATH of the system directories plus the ones a test names, and a HOME of its own
(so the developer's ~/.noserc never leaks into a test).
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from suites.doctor import envs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SCRATCH = tempfile.mkdtemp(prefix="harness-doctor-suite-")
atexit.register(shutil.rmtree, _SCRATCH, True)


def scratch(name):
    """A fresh directory for one test."""
    return tempfile.mkdtemp(prefix=name + "-", dir=_SCRATCH)


_RUNS = {}
_SHARED = {}


def project(files=None, executable=()):
    """A project directory with ``files`` ({relative path: text}); one passing test by default.

    The default project is shared (tests must not change it), so runs on it can be reused.
    """
    if files is None and not executable:
        if "default" not in _SHARED:
            _SHARED["default"] = project({"test_ok.py": OK_TEST})
        return _SHARED["default"]
    directory = scratch("project")
    for rel, text in files.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        if rel in executable:
            os.chmod(path, 0o755)
    return directory


OK_TEST = "def test_ok():\n    assert 1 + 1 == 2\n"


@dataclass
class Run:
    code: int
    data: dict | None
    stdout: str
    stderr: str

    @property
    def ids(self):
        return [f["id"] for f in self.data["findings"]]

    def finding(self, id_):
        for found in self.data["findings"]:
            if found["id"] == id_:
                return found
        raise AssertionError(f"no {id_} finding; got {self.ids}\n{self.stdout}\n{self.stderr}")

    def text_of(self, id_):
        """Title, evidence and fix of a finding as one string, to assert the cause is named."""
        found = self.finding(id_)
        return "\n".join([found["title"], *found["evidence"], found["fix"] or ""])


def doctor(*args, project=None, path=(), env=None, home=None, json_out=True):
    """Run ``harness doctor ARGS`` and return its exit code, parsed JSON and output.

    Runs on the shared default project with no extra environment are made once per suite run:
    several tests read different findings of the same diagnosis.
    """
    key = (args, project, tuple(path), json_out) if (
        project == _SHARED.get("default") and env is None and home is None) else None
    if key is not None and key in _RUNS:
        return _RUNS[key]
    run = _doctor(args, project, path, env, home, json_out)
    if key is not None:
        _RUNS[key] = run
    return run


def _doctor(args, project, path, env, home, json_out):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("NOSE_", "PYTHON", "VIRTUAL_ENV"))}
    clean["PATH"] = os.pathsep.join([*path, "/usr/local/bin", "/usr/bin", "/bin"])
    clean["HOME"] = home or scratch("home")
    clean.update(env or {})
    command = [sys.executable, "-m", "harness", "doctor", *args]
    if json_out:
        command.append("--json")
    if project:
        command += ["--project", project]
    done = subprocess.run(command, capture_output=True, text=True, env=clean, cwd=ROOT,
                          timeout=120)
    data = json.loads(done.stdout) if json_out and done.stdout.strip().startswith("{") else None
    return Run(done.returncode, data, done.stdout, done.stderr)


def python(name):
    """The interpreter of a named environment from ``envs.RECIPES``."""
    return envs.python_of(envs.get(name))


def bin_dir(name):
    return os.path.join(envs.get(name), "bin")
