"""Side by side, in one run: the per-test cost of a live Tornado app against AsyncHTTPTestCase.

    .venv/bin/python bench/web.py [--classes 20] [--tests 10] [--repeat 5]

A temporary project holds CLASSES test classes of TESTS tests each, in five variants; every test
sends one GET to a one-handler app and checks the status:

- baseline: the same tests doing nothing (nose, interpreter and imports: subtracted from the rest);
- AsyncHTTPTestCase: tornado.testing's way, a fresh IOLoop, app and server for every test;
- live, shared: one app for the run (``--tornado-scope=run``, thread mode);
- live, per class: every class declares its own app (thread mode), started and stopped per class;
- live, per class, subprocess: the same with ``tornado_mode = "subprocess"``.

Each variant is one ``python -m nose`` process; runs are interleaved (a, b, c, ..., a, b, c) so
that machine noise hits all alike. The time taken is the one nose reports for its test phase
("Ran N tests in X s": collection, app starts and stops, tests; not the interpreter's start). The
table shows its median, the per-test cost (the median minus the baseline's, divided by the number
of tests) and its ratio to AsyncHTTPTestCase. The run-scope app is stopped after that phase (about
a millisecond, once).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

APP = '''
import tornado.web

class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello")

def make_app(services=None):
    return tornado.web.Application([("/", Hello)])
'''

HEADERS = {
    "baseline": "import unittest\nimport tornado.testing  # noqa\nimport harness.testing.web  # noqa\n",
    "async": "import tornado.testing\nimport benchapp\n",
    "shared": "from harness.testing.web import LiveAppTestCase\n",
    "per_class": "from harness.testing.web import LiveAppTestCase\n",
    "per_class_subprocess": "from harness.testing.web import LiveAppTestCase\n",
}

CLASSES = {
    "baseline": "class Test{n}(unittest.TestCase):\n",
    "async": "class Test{n}(tornado.testing.AsyncHTTPTestCase):\n"
             "    def get_app(self):\n        return benchapp.make_app()\n",
    "shared": "class Test{n}(LiveAppTestCase):\n",
    "per_class": "class Test{n}(LiveAppTestCase):\n    tornado_app = 'benchapp:make_app'\n",
    "per_class_subprocess": "class Test{n}(LiveAppTestCase):\n"
                            "    tornado_app = 'benchapp:make_app'\n"
                            "    tornado_mode = 'subprocess'\n",
}

BODIES = {
    "baseline": "        pass\n",
    "async": "        self.assertEqual(self.fetch('/').code, 200)\n",
}
LIVE_BODY = "        self.assertEqual(self.fetch('/').status, 200)\n"

LABELS = {
    "baseline": "baseline (no request)",
    "async": "AsyncHTTPTestCase (app per test)",
    "shared": "live app, shared (run scope)",
    "per_class": "live app, per class (thread)",
    "per_class_subprocess": "live app, per class (subprocess)",
}

ARGS = {"shared": ["--tornado-app=benchapp:make_app", "--tornado-scope=run"]}


def write_project(root, classes, tests):
    (root / "benchapp.py").write_text(APP.lstrip())
    for variant in LABELS:
        lines = [HEADERS[variant]]
        for n in range(classes):
            lines.append("\n" + CLASSES[variant].format(n=n))
            for t in range(tests):
                lines.append(f"    def test_{t}(self):\n" + BODIES.get(variant, LIVE_BODY))
        (root / f"test_{variant}.py").write_text("".join(lines))


def run(root, variant):
    """Seconds nose reports for the test phase ("Ran N tests in X s") of one variant."""
    command = [sys.executable, "-m", "nose", "--with-tornado", *ARGS.get(variant, ()),
               f"test_{variant}.py"]
    environ = {key: value for key, value in os.environ.items() if not key.startswith("NOSE_")}
    completed = subprocess.run(command, cwd=root, env=environ, capture_output=True, text=True)
    found = re.search(r"^Ran \d+ tests? in ([0-9.]+)s$", completed.stderr, re.MULTILINE)
    if completed.returncode != 0 or not found:
        sys.exit(f"{variant} failed:\n{completed.stderr[-3000:]}")
    return float(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--tests", type=int, default=10, help="tests per class")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="nh-bench-web-"))
    try:
        write_project(root, args.classes, args.tests)
        times = {variant: [] for variant in LABELS}
        for variant in LABELS:  # warm-up: bytecode caches, the page cache
            run(root, variant)
        for _ in range(args.repeat):
            for variant in LABELS:
                times[variant].append(run(root, variant))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    count = args.classes * args.tests
    medians = {variant: statistics.median(values) for variant, values in times.items()}
    per_test = {variant: (medians[variant] - medians["baseline"]) / count * 1000
                for variant in LABELS}
    print(f"{args.classes} classes x {args.tests} tests = {count} tests per variant, "
          f"median of {args.repeat} interleaved runs; Python {sys.version.split()[0]}, "
          f"tornado {_tornado_version()}, {os.cpu_count()} cores\n")
    print(f"{'variant':36} {'tests (s)':>9} {'per test (ms)':>14} {'vs AsyncHTTPTestCase':>21}")
    for variant, label in LABELS.items():
        ratio = "" if variant == "baseline" else f"{per_test[variant] / per_test['async']:.2f}x"
        cost = "" if variant == "baseline" else f"{per_test[variant]:.2f}"
        print(f"{label:36} {medians[variant]:9.2f} {cost:>14} {ratio:>21}")
    extra = {variant: (per_test[variant] - per_test["shared"]) * args.tests
             for variant in ("per_class", "per_class_subprocess")}
    print(textwrap.dedent(f"""
        an app per class instead of one shared app costs, per class (start, readiness, stop):
          thread mode:     {extra['per_class']:.1f} ms
          subprocess mode: {extra['per_class_subprocess']:.1f} ms"""))


def _tornado_version():
    import tornado

    return tornado.version


if __name__ == "__main__":
    main()
