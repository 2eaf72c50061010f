"""Temporary projects that reproduce each origin of an option failure, and real runs in them.

A project is a directory of files (``make(files)``); plugins are real distributions (a module and a
``*.dist-info`` with ``entry_points.txt``) in a directory put on ``PYTHONPATH``, which is where
``importlib.metadata`` finds installed packages. Runs are real subprocesses of ``nosetests`` and
``harness run`` from a venv's ``bin/``: the suite's own interpreter, or a pynose venv for the
oldest and newest Python that tox tests, built and cached by the doctor suite's builder
(``suites/doctor/envs.py``, keyed by the hash of the recipe below).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from nose.plugins.skip import SkipTest

from harness import inifile
from suites.doctor import envs

OLDEST, NEWEST = "3.10", "3.13"
TIMEOUT = 60
ROOT = Path(__file__).resolve().parents[2]
_made = []


def recipe():
    """pynose, click (for the click case), setuptools (for setup()), and this checkout in editable
    mode with its dependencies. The checkout's path, its entry points and its dependencies are
    part of the recipe (an editable install copies those two into its metadata), so a clone
    elsewhere or a new plugin gets a venv of its own; other edits of setup.cfg do not."""
    cfg = ROOT / "setup.cfg"
    installed = [inifile.section(cfg, "options").get("install_requires"),
                 *inifile.section(cfg, "options.entry_points").values()]
    digest = hashlib.sha256(repr([e.value for e in installed if e]).encode()).hexdigest()[:16]
    return [("pip", ["pynose>=1.5.5,<1.6", "click", "setuptools>=61", "wheel"]),
            ("pip", ["--no-build-isolation", "-e", str(ROOT)]),
            ("files", {".options-suite-metadata": digest})]


def bin_dir(version=None):
    """``bin/`` of the venv for ``version`` (None: the interpreter running this suite)."""
    if version is None:
        return Path(sys.executable).parent
    try:
        return Path(envs.build(version, recipe())) / "bin"
    except RuntimeError as exc:
        raise SkipTest(f"could not build a pynose venv for Python {version}: {exc}") from None


def make(files):
    """A fresh project directory with ``files`` ({relative path: source}); removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="nh-options-"))
    _made.append(root)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def cleanup():
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)


def plugin(site, dist, module, source, entry_points):
    """Install a plugin distribution into ``site`` the way pip lays it out (module + dist-info)."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source).lstrip("\n"))
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {value}" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[nose.plugins.0.10]\n{lines}\n")
    return site


def _env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NOSE_", "HARNESS_ARGV")) and k != "PYTHONPATH"}
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def run(tool, args, cwd, version=None, env=None):
    """Run ``nosetests`` or ``harness`` from the venv for ``version``; returns CompletedProcess."""
    command = [str(bin_dir(version) / tool), *args]
    return subprocess.run(command, cwd=cwd, env=_env(env), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=TIMEOUT)


def harness_json(args, cwd, version=None, env=None):
    """``harness run --json ARGS``: (exit code, report dict, stderr)."""
    done = run("harness", ["run", "--json", "--", *args], cwd, version, env)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise AssertionError(f"no JSON from harness run (exit {done.returncode}):\n"
                             f"{done.stdout}\n{done.stderr}") from None
    return done.returncode, report, done.stderr


def cause(finding):
    """The cause of a JSON finding: its id without the ``run.`` family prefix."""
    return finding["id"].split(".", 1)[1]


def causes(report):
    return [cause(finding) for finding in report["findings"]]


def python_version(version=None):
    if version is None:
        return sys.version_info[:2]
    return tuple(int(part) for part in version.split("."))


# Project sources, one per origin -----------------------------------------------------------

TEST_A = """
    from tests import helper

    def test_one():
        assert helper.ready
    """

OPTPARSE_HELPER = """
    from optparse import OptionParser

    parser = OptionParser()
    parser.add_option("-p", "--port", type="int", default=8080)
    options, args = parser.parse_args()
    ready = True
    """

ARGPARSE_HELPER = """
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    ready = True
    """

CLICK_HELPER = """
    import click

    @click.command()
    @click.option("--port", default=8080)
    def main(port):
        pass

    main()
    ready = True
    """

UNITTEST_MAIN = """
    import unittest

    class SmokeTest(unittest.TestCase):
        def test_smoke(self):
            pass

    unittest.main()
    """

SETUP_CALL = """
    from setuptools import setup

    setup(name="demo", version="1.0", py_modules=[])
    """

EXIT_AT_IMPORT = """
    import sys

    sys.exit(0)
    """

PLAIN_TEST = """
    def test_plain():
        assert 1 + 1 == 2
    """


def foreign_project(helper_source):
    return make({"tests/__init__.py": "", "tests/helper.py": helper_source,
                 "tests/test_a.py": TEST_A})


def clean_project():
    return make({"tests/__init__.py": "", "tests/test_plain.py": PLAIN_TEST})
