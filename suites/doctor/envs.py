"""Real (broken) virtualenvs for the doctor suite, built once and cached.

Each environment is a recipe: a Python version and a list of steps (pip installs of real PyPI
packages, small wheels made here for plugins and forks, uninstalls, .pth files, removed files, a
final move). The venv lives
in ``$HARNESS_DOCTOR_ENVS`` (default ``~/.cache/nose-harness/doctor-envs``) under the hash of its
recipe, so a changed recipe gets a new venv and an unchanged one is reused. A venv is only used
once its ``.harness-complete`` marker exists; the marker is written last, so a build that was
killed half-way is wiped and rebuilt, never reused. A lock file serialises concurrent builders.

pip runs from the harness's own interpreter with ``--python`` (venvs are made ``--without-pip``),
which keeps a build to a second or two once pip's cache is warm. Current pip refuses to drive
interpreters older than 3.10, so those venvs get their own pip (the one their Python bundles).

A Python that is not installed skips the tests that need it; with ``HARNESS_REQUIRE_PYTHONS=1``
it fails them instead, so a CI run cannot pass by skipping everything.
"""

import base64
import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from unittest import SkipTest

BUILDER = 3  # bump to rebuild every cached environment
ROOT = os.environ.get("HARNESS_DOCTOR_ENVS",
                      os.path.expanduser("~/.cache/nose-harness/doctor-envs"))
PYNOSE = "pynose==1.5.5"
STOCK_NOSE = "nose==1.3.7"


def find_python(version):
    """The interpreter for ``version`` ("3.12"): pyenv's first, then pythonX.Y on PATH."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for candidate in sorted(glob.glob(os.path.join(pyenv, "versions", version + ".*", "bin",
                                                   "python3")), reverse=True):
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("python" + version)
    if found:
        return found
    missing = f"Python {version} is not installed (looked in {pyenv}/versions and PATH)"
    if os.environ.get("HARNESS_REQUIRE_PYTHONS") == "1":
        raise RuntimeError(missing + "; HARNESS_REQUIRE_PYTHONS=1 makes that a failure")
    raise SkipTest(missing)


def wheel(name, version, modules, entry_points="", requires=(), metadata=(), pip_args=()):
    """A wheel step: a tiny real distribution with ``modules`` ({path: source}) and entry points.

    ``metadata`` adds METADATA lines ("Requires-Python: <3.10"); ``pip_args`` go to its install.
    """
    spec = {"name": name, "version": version, "modules": modules,
            "entry_points": entry_points, "requires": list(requires)}
    # only when given, so the recipes (and cache keys) of the other wheels stay as they were
    if metadata:
        spec["metadata"] = list(metadata)
    if pip_args:
        spec["pip_args"] = list(pip_args)
    return ("wheel", spec)


def _write_wheel(directory, spec):
    name, version = spec["name"], spec["version"]
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    files = dict(spec["modules"])
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in spec["requires"]]
    meta += spec.get("metadata", [])
    files[f"{dist_info}/METADATA"] = "\n".join(meta) + "\n"
    files[f"{dist_info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: nose-harness-suite\n"
                                   "Root-Is-Purelib: true\nTag: py3-none-any\n")
    if spec["entry_points"]:
        files[f"{dist_info}/entry_points.txt"] = spec["entry_points"]
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    path = os.path.join(directory, f"{name.replace('-', '_')}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


OWN_PIP_BELOW = (3, 10)  # current pip (26.x) runs only on, and for, Python 3.10+


def _own_pip(version):
    return tuple(int(part) for part in version.split(".")) < OWN_PIP_BELOW


def _pip(python, *args):
    if os.path.exists(os.path.join(os.path.dirname(python), "pip")):
        pip = [python, "-m", "pip"]
    else:
        pip = [sys.executable, "-m", "pip", "--python", python]
    command = [*pip, "--disable-pip-version-check", "--no-input", "-q", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def site_packages(venv):
    return glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))[0]


@contextmanager
def _locked(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(version, steps):
    """The venv for this recipe (path of its directory), built if it is not cached yet."""
    python = find_python(version)
    recipe = json.dumps({"builder": BUILDER, "python": version, "steps": steps}, sort_keys=True)
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    venv = os.path.join(ROOT, f"py{version}-{key}")
    marker = os.path.join(venv, ".harness-complete")
    if os.path.exists(marker):
        return venv
    with _locked(venv + ".lock"):
        if os.path.exists(marker):
            return venv
        moved = any(step[0] == "move" for step in steps)
        where = venv + ".staging" if moved else venv
        for stale in (venv, venv + ".staging"):
            shutil.rmtree(stale, ignore_errors=True)
        pip_flag = [] if _own_pip(version) else ["--without-pip"]
        subprocess.run([python, "-m", "venv", *pip_flag, where], check=True)
        vpython = os.path.join(where, "bin", "python")
        with tempfile.TemporaryDirectory() as scratch:
            for step in steps:
                _step(step, where, vpython, scratch)
        if moved:
            os.rename(where, venv)
        with open(marker, "w") as handle:
            handle.write(recipe)
    return venv


def _step(step, venv, python, scratch):
    kind = step[0]
    if kind == "pip":
        _pip(python, "install", *step[1])
    elif kind == "wheel":
        _pip(python, "install", *step[1].get("pip_args", []), _write_wheel(scratch, step[1]))
    elif kind == "pip-target":  # pip install --target VENV/<dir>: a vendored copy
        _pip(python, "install", "--target", os.path.join(venv, step[1]), *step[2])
    elif kind == "uninstall":
        _pip(python, "uninstall", "-y", *step[1])
    elif kind == "files":  # {path relative to the venv: text}; "{venv}" and "{site}" expand
        site = site_packages(venv)
        for rel, text in step[1].items():
            path = os.path.join(venv, rel.replace("{site}", os.path.relpath(site, venv)))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(text.replace("{venv}", venv).replace("{site}", site))
    elif kind == "remove":  # paths relative to the venv; "{site}" expands
        site = os.path.relpath(site_packages(venv), venv)
        for rel in step[1]:
            path = os.path.join(venv, rel.replace("{site}", site))
            if not os.path.lexists(path):
                raise RuntimeError(f"remove step: no {path}")
            if os.path.isdir(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
    elif kind == "move":
        pass  # handled by build(): the venv is renamed once complete
    else:
        raise ValueError(f"unknown step {kind!r}")


def python_of(venv):
    return os.path.join(venv, "bin", "python")


PLUGIN = "from nose.plugins import Plugin\n\n\n"
# a nose fork that imports, small enough to declare whatever metadata a test needs
FORK_FILES = {"nose/__init__.py": "__version__ = '1.4.0'\n"}

RECIPES = {
    # a healthy fork install on every Python the harness supports (and the probe's oldest)
    "healthy-3.8": ("3.8", [("pip", [PYNOSE])]),
    "healthy-3.10": ("3.10", [("pip", [PYNOSE])]),
    "healthy-3.11": ("3.11", [("pip", [PYNOSE])]),
    "healthy-3.12": ("3.12", [("pip", [PYNOSE])]),
    "healthy-3.13": ("3.13", [("pip", [PYNOSE])]),
    # stock nose where it cannot work; on 3.10 with an entry-point plugin and no pkg_resources
    "stock-3.10": ("3.10", [("pip", [STOCK_NOSE]), wheel(
        "okplug", "1.0", {"okplug.py": PLUGIN + "class Ok(Plugin):\n    name = 'ok'\n"},
        "[nose.plugins.0.10]\nok = okplug:Ok\n")]),
    "stock-3.12": ("3.12", [("pip", [STOCK_NOSE])]),
    # a fork release that does not support the interpreter it is installed on (sdist, built here)
    "nose3-3.12": ("3.12", [("pip", ["nose3==1.3.8"])]),
    # a plugin whose dependency pulls stock nose back in over the fork
    "both-3.11": ("3.11", [("pip", [PYNOSE]), wheel(
        "legacyplug", "2.0", {"legacyplug.py": PLUGIN + "class Legacy(Plugin):\n    pass\n"},
        "[nose.plugins.0.10]\nlegacy = legacyplug:Legacy\n", requires=["nose"])]),
    # nose installed, the fork over it, then the fork uninstalled: shared files are gone
    "uninstalled-3.11": ("3.11", [("pip", [STOCK_NOSE]), ("pip", [PYNOSE]),
                                  ("uninstall", ["pynose"])]),
    # an old egg put in front of site-packages by a .pth file
    "pth-3.11": ("3.11", [("pip", [PYNOSE]), ("files", {
        "{site}/zz_legacy.pth": "import sys; sys.path.insert(0, '{venv}/eggs/nose-0.11.4.egg')\n",
        "eggs/nose-0.11.4.egg/nose/__init__.py": "__version__ = '0.11.4'\n"})]),
    # the fork in the venv, and stock nose vendored with pip install --target (put on PYTHONPATH)
    "vendored-3.11": ("3.11", [("pip", [PYNOSE]), ("pip-target", "vendor", [STOCK_NOSE])]),
    # no nose at all
    "bare-3.11": ("3.11", []),
    # the fork's files edited in place, a builtin plugin broken, and a stray module in nose/
    "tampered-3.11": ("3.11", [("pip", [PYNOSE]), ("files", {
        "{site}/nose/plugins/xunit.py": "import lxml_not_installed_xyz\n",
        "{site}/nose/plugins/oldplugin.py": "# left behind by an uninstall\n"})]),
    # a venv that was moved after its scripts were written
    "moved-3.11": ("3.11", [("pip", [PYNOSE]), ("move",)]),
    # a fork whose Requires-Python excludes 3.11, forced in with --ignore-requires-python
    "requires-3.11": ("3.11", [wheel("nose-oldfork", "1.4.0", FORK_FILES,
                                     metadata=["Requires-Python: >=3.6,<3.10"],
                                     pip_args=["--ignore-requires-python"])]),
    # a fork whose classifiers stop at 3.10 (pip does not read them)
    "classifiers-3.11": ("3.11", [wheel(
        "nose-oldfork", "1.4.0", FORK_FILES,
        metadata=[f"Classifier: Programming Language :: Python :: 3.{m}" for m in (8, 9, 10)])]),
    # the fork's files without its dist-info: nothing owns nose/ any more
    "no-owner-3.11": ("3.11", [("pip", [PYNOSE]), ("remove", ["{site}/pynose-1.5.5.dist-info"])]),
    # a fork, intact and alone, whose own code fails to import
    "import-fails-3.11": ("3.11", [wheel(
        "nose-brokenfork", "1.0", {"nose/__init__.py": "from nose.core import run\n",
                                   "nose/core.py": "import nose_runtime_gone_xyz\n"})]),
    # a plugin that raises while registering its options (nose itself then fails to start)
    "options-fail-3.11": ("3.11", [("pip", [PYNOSE]), wheel(
        "optfailplug", "1.0",
        {"optfailplug.py": PLUGIN + "class OptFail(Plugin):\n    name = 'optfail'\n\n"
                           "    def options(self, parser, env):\n"
                           "        raise KeyError('OPTFAIL_HOME')\n"},
        "[nose.plugins.0.10]\noptfail = optfailplug:OptFail\n")]),
    # plugins: a missing dependency, option collisions, a duplicate name, pkg_resources gone
    "plugins-3.11": ("3.11", [("pip", [PYNOSE]), wheel(
        "brokenplug", "1.0",
        {"brokenplug.py": "import nonexistent_dep_xyz\n" + PLUGIN + "class Broken(Plugin):\n"
                          "    name = 'broken'\n"},
        "[nose.plugins.0.10]\nbroken = brokenplug:Broken\n"), wheel(
        "clashplug", "1.0",
        {"clashplug.py": "print('clashplug says hello on stdout')\n" + PLUGIN
                         + "class Clash(Plugin):\n    name = 'clash'\n\n"
                         "    def options(self, parser, env):\n"
                         "        super().options(parser, env)\n"
                         "        parser.add_option('--where', dest='clash_where')\n"},
        "[nose.plugins.0.10]\nclash = clashplug:Clash\n"), wheel(
        "twinplugs", "1.0",
        {"twinplugs.py": PLUGIN + "class Alpha(Plugin):\n    name = 'alpha'\n\n"
                         "    def options(self, parser, env):\n"
                         "        super().options(parser, env)\n"
                         "        parser.add_option('--fancy', dest='alpha_fancy')\n\n\n"
                         "class Beta(Plugin):\n    name = 'beta'\n\n"
                         "    def options(self, parser, env):\n"
                         "        super().options(parser, env)\n"
                         "        parser.add_option('--fancy', dest='beta_fancy')\n"},
        "[nose.plugins.0.10]\nalpha = twinplugs:Alpha\nbeta = twinplugs:Beta\n"), wheel(
        "dupone", "1.0", {"dupone.py": PLUGIN + "class Dup(Plugin):\n    name = 'dupone'\n"},
        "[nose.plugins.0.10]\ndup = dupone:Dup\n"), wheel(
        "duptwo", "1.0", {"duptwo.py": PLUGIN + "class Dup(Plugin):\n    name = 'duptwo'\n"},
        "[nose.plugins.0.10]\ndup = duptwo:Dup\n"), wheel(
        "needspkg", "1.0",
        {"needspkg.py": "import pkg_resources\n" + PLUGIN + "class Needs(Plugin):\n"
                        "    name = 'needs'\n"},
        "[nose.plugins.0.10]\nneeds = needspkg:Needs\n")]),
}


_FAILED = {}


def get(name):
    """The venv directory of a named recipe, built on first use (a failed build fails fast)."""
    if name in _FAILED:
        raise _FAILED[name]
    version, steps = RECIPES[name]
    try:
        return build(version, steps)
    except (SkipTest, RuntimeError, subprocess.CalledProcessError) as error:
        _FAILED[name] = error
        raise
