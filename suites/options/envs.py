"""Throwaway virtualenvs with pynose for the options suite, cached between runs.

Each environment is described by a recipe (interpreter, packages, the checkout it installs in
editable mode). Its hash names the directory under ``~/.cache/nose-harness/venvs/``, so a changed
recipe builds a new environment and an unchanged one is reused. Virtualenvs cannot be moved (their
scripts name their own path), so a build happens in place under a lock and is marked complete by
a file written last: a half-built environment from an interrupted run is removed and rebuilt.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("NOSE_HARNESS_CACHE", Path.home() / ".cache" / "nose-harness"))
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
PACKAGES = ("pynose>=1.5.5,<1.6", "click", "setuptools>=61", "wheel")


def interpreter(version):
    """The pyenv interpreter for ``"3.10"``-style versions, or None when it is not installed."""
    for candidate in sorted(PYENV.glob(f"{version}.*"), reverse=True):
        python = candidate / "bin" / "python3"
        if python.exists():
            return python
    found = shutil.which(f"python{version}")
    return Path(found) if found else None


def recipe(python):
    setup_cfg = (ROOT / "setup.cfg").read_bytes()
    return {
        "python": str(python),
        "packages": PACKAGES,
        "editable": str(ROOT),
        "setup_cfg": hashlib.sha256(setup_cfg).hexdigest()[:16],
    }


def venv(version):
    """Path of a ready venv with pynose, click and this checkout (with its dependencies).

    Returns None when that interpreter is missing. Raises RuntimeError when the build fails.
    """
    python = interpreter(version)
    if python is None:
        return None
    spec = recipe(python)
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    home = CACHE / "venvs" / f"py{version}-{key}"
    done = home / ".complete"
    if done.exists():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return home
        shutil.rmtree(home, ignore_errors=True)
        log = home.parent / f"{home.name}.log"
        with open(log, "w") as out:
            steps = (
                [str(python), "-m", "venv", str(home)],
                [str(home / "bin/python"), "-m", "pip", "install", "-q", *spec["packages"]],
                [str(home / "bin/python"), "-m", "pip", "install", "-q",
                 "--no-build-isolation", "-e", spec["editable"]],
            )
            for step in steps:
                if subprocess.call(step, stdout=out, stderr=subprocess.STDOUT) != 0:
                    raise RuntimeError(f"building {home} failed at {step}; see {log}")
        done.write_text(json.dumps(spec, indent=1))
    return home
