"""Python-level leftovers in the project that break collection.

A ``foo.pyc`` next to where ``foo.py`` used to be (Python 2 layout, or bytecode copied around) is
still importable on Python 3 when the source is gone: deleted tests keep running, or a stale module
shadows the real one; bytecode from another Python version fails with "bad magic number". Bytecode
inside ``__pycache__`` is only used next to its source, so it is left alone.
"""

import os

from harness.doctor.checks import register
from harness.doctor.findings import Finding, cap

SKIP_DIRS = {".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", "node_modules",
             "__pycache__", "site-packages", "build", "dist", ".eggs"}
WALK_LIMIT = 20000


def orphans(project):
    found = []
    seen = 0
    for root, dirs, files in os.walk(project):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")
                   and not os.path.exists(os.path.join(root, d, "pyvenv.cfg"))]
        seen += len(files)
        for name in files:
            if name.endswith(".pyc") and name[:-1] not in files:
                found.append(os.path.join(root, name))
        if seen > WALK_LIMIT:
            break
    return sorted(found)


def _magic(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(4).hex()
    except OSError:
        return None


def check(ctx):
    stray = orphans(ctx.project)
    if not stray:
        return
    magics = {f["interp"]["magic"] for f in ctx.all_facts.values() if f.get("interp")}
    evidence = []
    for path in stray:
        note = "" if not magics or _magic(path) in magics else " (compiled by another Python)"
        evidence.append(os.path.relpath(path, ctx.project) + note)
    yield Finding(
        "leftovers.orphan-bytecode", "warning",
        f"{len(stray)} bytecode file(s) without their source: Python still imports them",
        evidence=cap(evidence, 5),
        fix=f"find {ctx.project} -name '*.pyc' -not -path '*/__pycache__/*' -delete")


register("leftovers", "no stray bytecode without its source", check, scope="global")
