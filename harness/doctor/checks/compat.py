"""nose and Python that cannot work together.

Stock nose 1.3.7 imports ``imp`` (removed in Python 3.12, so ``import nose`` fails) and uses
``collections.Callable`` (removed in 3.10: ``nosetests --version`` still works, collection dies
with an AttributeError). The check reads the nose files that ``import nose`` really loads, so it
also catches other forks with the same code, and it reads each owning distribution's declared
``Requires-Python`` and Python classifiers.
"""

import os
import re

from harness.doctor.checks import register
from harness.doctor.findings import Finding, cap

FORK = "'pynose>=1.5.5,<1.6'"
_CALLABLE = re.compile(r"collections\.Callable\b")
_CALLABLE_PATCH = re.compile(r"collections\.Callable\s*=")
_IMP = re.compile(r"^\s*(import imp\b|from imp import)")


def pip(ctx):
    return f"{ctx.python} -m pip"


def switch_fix(ctx, owners):
    names = " ".join(sorted({d["name"] for d in owners})) or "nose"
    return f"{pip(ctx)} uninstall -y {names} && {pip(ctx)} install {FORK}"


def nose_dir(ctx):
    """The directory of the nose package ``import nose`` loads (from the resolution facts)."""
    candidates = (ctx.facts.get("resolve") or {}).get("candidates") or []
    if candidates and os.path.isdir(candidates[0]["path"]):
        return candidates[0]["path"]
    return None


def on_disk(owners, directory=None):
    """"name version" of the owner whose files ``import nose`` loads: among the owners installed
    where it loads from, the one whose RECORD matches best (the one installed last)."""
    here = [d for d in owners if directory and os.path.normpath(
        os.path.join(d["location"], "nose")) == os.path.normpath(directory)]
    owners = here or owners
    if not owners:
        return "nose"
    best = min(owners, key=lambda d: len(d.get("record_modified") or [])
               + len(d.get("record_missing") or []))
    return f"{best['name']} {best['version']}"


def scan(directory, pattern):
    """(file, line, code) for each line of the package's .py files that matches ``pattern``."""
    hits = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    for number, line in enumerate(handle, 1):
                        if pattern.search(line):
                            hits.append((path, number, line.strip()))
            except OSError:
                continue
    return hits


def specifier_allows(spec, version):
    """Does a Requires-Python specifier (``>=3.7,!=3.8.*``) allow ``version`` (a tuple)?"""
    for clause in filter(None, (c.strip() for c in (spec or "").split(","))):
        match = re.match(r"(~=|==|!=|<=|>=|<|>|===)\s*([\d.]+)(\.\*)?$", clause)
        if not match:
            continue  # unknown syntax: do not guess
        op, text, star = match.groups()
        want = tuple(int(x) for x in text.split("."))
        have = tuple(version[:len(want)]) if star else tuple(version)
        pad = max(len(want), len(have))
        want_p, have_p = want + (0,) * (pad - len(want)), have + (0,) * (pad - len(have))
        ok = {"==": have_p == want_p, "===": have_p == want_p, "!=": have_p != want_p,
              ">=": have_p >= want_p, "<=": have_p <= want_p, ">": have_p > want_p,
              "<": have_p < want_p,
              "~=": have_p >= want_p and have[:len(want) - 1] == want[:len(want) - 1]}[op]
        if not ok:
            return False
    return True


def check(ctx):
    version = ctx.version
    if not version:
        return
    pyver = ".".join(map(str, version[:2]))
    owners = ctx.nose_owners()
    nose = ctx.facts.get("nose") or {}
    imported = nose.get("import") or {}
    error = imported.get("error") or {}
    directory = nose_dir(ctx)
    label = on_disk(owners, directory)

    if error.get("missing_module") == "imp" or (error and "No module named 'imp'" in error.get(
            "message", "")):
        where = _frame_in(error, directory)
        yield Finding(
            "compat.imp-removed", "error",
            f"{label} imports the 'imp' module, removed in Python 3.12: 'import nose' fails on "
            f"Python {pyver}",
            evidence=[f"{where['file']}:{where['line']}: {where['code']}" if where else "",
                      f"{error.get('type')}: {error.get('message')}"],
            fix=switch_fix(ctx, owners), file=where and where["file"],
            line=where and where["line"])
    elif directory and version >= (3, 10):
        uses = scan(directory, _CALLABLE)
        patched = any(_CALLABLE_PATCH.search(code) for _, _, code in uses)
        if uses and not patched:
            collect = ctx.collect or {}
            seen = (collect.get("error") or {}).get("message", "")
            yield Finding(
                "compat.collections-callable", "error",
                f"{label} uses collections.Callable, removed in Python 3.10: collection fails "
                f"on Python {pyver} while 'nosetests --version' still works",
                evidence=cap([f"{f}:{n}: {code}" for f, n, code in uses], 4) + (
                    [f"the collection smoke run failed with: {seen}"] if "Callable" in seen
                    else []),
                fix=switch_fix(ctx, owners), file=uses[0][0], line=uses[0][1])
    if directory and not error and version >= (3, 12):
        lazy = scan(directory, _IMP)
        if lazy:
            yield Finding(
                "compat.imp-removed", "error",
                f"{label} imports the 'imp' module (removed in Python 3.12) when some features "
                f"are used", evidence=cap([f"{f}:{n}: {code}" for f, n, code in lazy], 4),
                fix=switch_fix(ctx, owners), file=lazy[0][0], line=lazy[0][1])

    for dist in owners:
        spec = dist.get("requires_python")
        if spec and not specifier_allows(spec, version):
            yield Finding(
                "compat.requires-python", "error",
                f"{dist['name']} {dist['version']} requires Python {spec}, but it is installed on "
                f"Python {pyver}",
                evidence=[f"{dist['path']}: Requires-Python: {spec}",
                          "pip installs it anyway when run with --ignore-requires-python or when "
                          "it is too old to read Requires-Python"],
                fix=f"{pip(ctx)} install --force-reinstall {FORK}")
            continue
        declared = dist.get("python_classifiers") or []
        minors = [tuple(int(x) for x in v.split(".")) for v in declared]
        if minors and version[:2] > max(minors):
            yield Finding(
                "compat.unsupported-python", "warning",
                f"{dist['name']} {dist['version']} declares support for Python up to "
                f"{declared[-1]} only; this is Python {pyver}",
                evidence=[f"{dist['path']}: classifiers list Python {', '.join(declared)}"],
                fix=f"{pip(ctx)} install --upgrade {dist['name']}, or run on Python "
                    f"{declared[-1]}")


def _frame_in(error, directory):
    """The deepest frame of the error inside ``directory`` (or the deepest frame at all)."""
    frames = error.get("frames") or []
    for frame in reversed(frames):
        if directory is None or frame["file"].startswith(directory + os.sep):
            return frame
    return frames[-1] if frames else None


register("compat", "nose and Python work together", check, needs=("probe", "collect"))
