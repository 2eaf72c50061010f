"""The doctor's run time, side by side with the checks users try first, in one run.

Measured, each as a fresh command (median of N runs, wall clock):
  - ``pip check`` (the install check people reach for first; silent on most broken nose setups);
  - ``nosetests --version`` (the other usual first check: it starts nose and exits);
  - ``harness doctor`` on a small project (one test module): the typical run, default targets
    (the interpreter behind ``nosetests`` on PATH, which is also the current one);
  - ``harness doctor --no-collect`` on the same project (no smoke run);
  - ``harness doctor --no-collect`` on this repository (its setup.cfg and plugins; the smoke run
    is left out because its length is the suites' own collection time, not the doctor's);
  - ``harness doctor`` with two targets (this venv and a bare pyenv interpreter), probed in
    parallel.

Run: ``.venv/bin/python bench/doctor.py [--runs 7]``. It prints each median and its ratio to
``pip check``.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def timed(command, runs, **kw):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NOSE_VERBOSE", None)
    project = tempfile.mkdtemp(prefix="bench-doctor-")
    try:
        with open(os.path.join(project, "test_small.py"), "w") as handle:
            handle.write("def test_one():\n    assert True\n")
        doctor = [sys.executable, "-m", "harness", "doctor"]
        other = shutil.which("python3.12") or next(
            iter(sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3"))), None)
        cases = [
            ("pip check", [sys.executable, "-m", "pip", "check"], {}),
            ("nosetests --version", [str(VENV_BIN / "nosetests"), "--version"], {}),
            ("harness doctor (small project)", doctor + ["--project", project], {}),
            ("harness doctor --no-collect", doctor + ["--no-collect", "--project", project], {}),
            ("harness doctor --no-collect (this repo)",
             doctor + ["--no-collect", "--project", str(ROOT)], {}),
        ]
        if other:
            cases.append(("harness doctor, 2 targets", doctor + [
                "--python", sys.executable, "--python", str(other), "--project", project], {}))
        results = []
        for name, command, kw in cases:
            results.append((name, timed(command, args.runs, env=env, cwd=ROOT, **kw)))
        base = results[0][1]
        print(f"{'command':40} {'median':>9} {'vs pip check':>13}   ({args.runs} runs each)")
        for name, seconds in results:
            print(f"{name:40} {seconds:8.3f}s {seconds / base:12.2f}x")
    finally:
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
