"""Side by side, in one run: what the argv guard and `harness run` cost on a healthy project.

    .venv/bin/python bench/argv_guard.py [--modules 300] [--repeat 5]

A temporary project with MODULES test modules (3 tests each, nothing reads sys.argv) is run with:

- nosetests: the guard off;
- nosetests --with-argv-guard: the guard watching every test-module import;
- harness run: nose in a subprocess with the guard on, stderr passed through the filter.

Runs are interleaved (a, b, c, a, b, c, ...) so that machine noise hits all three alike; the table
shows the median wall time of each and its ratio to plain nosetests. A second table times the
guard alone, in process: ``Guard.importing`` around an import that is already cached, per import.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.argv import Guard  # noqa: E402

TEST_MODULE = """
def test_one():
    assert 1 + 1 == 2


def test_two():
    assert "a" < "b"


class TestThing:
    def test_three(self):
        assert [1, 2][-1] == 2
"""


def project(modules):
    root = Path(tempfile.mkdtemp(prefix="nh-bench-argv-"))
    tests = root / "tests"
    tests.mkdir()
    (tests / "__init__.py").write_text("")
    for i in range(modules):
        (tests / f"test_m{i:04d}.py").write_text(TEST_MODULE)
    return root


def timed(command, cwd, env):
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOSE_")}
    root = project(args.modules)
    variants = {
        "nosetests": [str(bindir / "nosetests")],
        "nosetests --with-argv-guard": [str(bindir / "nosetests"), "--with-argv-guard"],
        "harness run": [str(bindir / "harness"), "run"],
    }
    times = {name: [] for name in variants}
    try:
        for command in variants.values():  # warm the file cache and bytecode
            timed(command, root, env)
        for _ in range(args.repeat):
            for name, command in variants.items():
                times[name].append(timed(command, root, env))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    base = statistics.median(times["nosetests"])
    tests = args.modules * 3
    print(f"{args.modules} test modules, {tests} tests, median of {args.repeat} runs "
          f"(Python {sys.version.split()[0]})")
    print(f"{'variant':32} {'median':>9} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:32} {median * 1000:7.0f} ms {median / base:6.2f}x")

    guard = Guard()
    sys.argv = ["nosetests", "-x"]
    number = 20000

    def watched():
        with guard.importing("bench.py"):
            __import__("json")

    bare = min(timeit.repeat(lambda: __import__("json"), number=number, repeat=5)) / number
    with_guard = min(timeit.repeat(watched, number=number, repeat=5)) / number
    print()
    print(f"{'in process, per import':32} {'time':>9}")
    print(f"{'cached import':32} {bare * 1e6:7.2f} us")
    print(f"{'cached import in Guard.importing':32} {with_guard * 1e6:7.2f} us")
    print(f"{'guard overhead per test module':32} {(with_guard - bare) * 1e6:7.2f} us")


if __name__ == "__main__":
    main()
