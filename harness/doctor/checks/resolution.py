"""Where ``import nose`` really resolves.

The installed distribution is not always what runs: a directory on PYTHONPATH, a ``.pth`` line
(old eggs put themselves in front of site-packages that way), or a ``nose.py`` / ``nose/`` in the
project can come first. The probe lists every sys.path entry holding a ``nose`` in import order,
without importing it; the first one wins.
"""

import os

from harness.doctor.checks import register
from harness.doctor.checks.compat import FORK, pip
from harness.doctor.findings import Finding
from harness.doctor.target import PROBE


def _owned_paths(owners):
    return {os.path.normpath(os.path.join(d["location"], "nose")) for d in owners} | {
        os.path.normpath(os.path.join(d["location"], "nose.py")) for d in owners}


def _editable(ctx):
    """An editable install of a nose distribution (its files live in a checkout, not in RECORD)."""
    for dist in (ctx.facts.get("dists") or {}).get("dists", []):
        if dist["name"].lower() in ("pynose", "nose", "nose-py3", "nose3") and dist.get(
                "editable"):
            return dist
    return None


ORIGIN_FIX = {
    "pythonpath": "remove {entry} from PYTHONPATH",
    "pth": "delete line {line} of {file} (it puts {entry} on sys.path)",
    "cwd": "rename or remove {path}",
    "other": "remove {entry} from sys.path (or rename {path})",
    "site": "remove {path}",
    "finder": "find what installs an import hook for nose (an editable install?) and remove it",
    "stdlib": "remove {path} from the standard library directory",
}


def check(ctx):
    resolve = ctx.facts.get("resolve")
    if resolve is None:
        return
    owners = ctx.nose_owners()
    owned = _owned_paths(owners)
    candidates = resolve.get("candidates") or []
    imported = (ctx.facts.get("nose") or {}).get("import") or {}
    editable = _editable(ctx)
    if editable and candidates and candidates[0]["origin"] in ("finder", "pth"):
        return  # a developer's checkout of nose itself, installed with pip install -e
    hidden = _hidden_site_owner(ctx, owners, candidates)
    # an unowned copy in site-packages is one cause, already named by ownership.no-owner
    orphans = {os.path.normpath(f.file) for f in ctx.found if f.id == "ownership.no-owner"}
    if candidates and (os.path.normpath(candidates[0]["path"]) not in owned | orphans or hidden):
        winner = candidates[0]
        where = winner.get("origin_detail") or ""
        file, _, line = where.rpartition(":") if winner["origin"] == "pth" else ("", "", "")
        evidence = [f"first on sys.path: {winner['path']} (from {winner['origin']}"
                    + (f": {where})" if where else ")")]
        if imported.get("version"):
            evidence.append(f"'import nose' gives version {imported['version']}")
        for other in candidates[1:]:
            if os.path.normpath(other["path"]) in owned:
                evidence.append(f"the installed one, {other['path']}, comes later and is hidden")
        if hidden:
            title = (f"'import nose' loads {winner['path']}, not {hidden['name']} "
                     f"{hidden['version']} installed in {hidden['location']}")
        elif owners:
            title = (f"'import nose' loads {winner['path']}, not the installed "
                     f"{owners[0]['name']} {owners[0]['version']}")
        else:
            title = f"'import nose' loads {winner['path']}, which no installed distribution owns"
        fix = ORIGIN_FIX.get(winner["origin"], ORIGIN_FIX["other"]).format(
            entry=winner["entry"], path=winner["path"], file=file, line=line)
        yield Finding("resolution.shadowed", "error", title, evidence=evidence, fix=fix,
                      file=file or winner["path"], line=int(line) if line.isdigit() else None)
    local = resolve.get("project_candidate")
    if local and (not candidates or os.path.normpath(local) != os.path.normpath(
            candidates[0]["path"])):
        yield Finding(
            "resolution.local-nose", "error",
            f"{local} in the project shadows nose for 'python -m nose', 'setup.py nosetests' "
            f"and anything run from {ctx.project}",
            evidence=[f"{ctx.project} is first on sys.path when Python runs from there"],
            fix=f"rename {local} (and delete its __pycache__)", file=local)
    if not candidates and resolve.get("namespace_dirs") and not any(
            d.get("record_missing") for d in owners):
        dirs = resolve["namespace_dirs"]
        yield Finding(
            "resolution.leftover-dir", "error",
            f"'import nose' finds only {dirs[0]}, a directory without __init__.py (left by an "
            f"uninstall)", evidence=[f"leftover: {d}" for d in dirs],
            fix=f"rm -rf {dirs[0]} && {pip(ctx)} install {FORK}")
    if not candidates and not resolve.get("namespace_dirs"):
        yield Finding(
            "resolution.not-installed", "error", f"nose is not installed for {ctx.python}",
            evidence=["no sys.path entry holds a nose package or module"],
            fix=f"{pip(ctx)} install {FORK}")
        return
    yield from _unexplained(ctx, imported)


def _hidden_site_owner(ctx, owners, candidates):
    """The owner in site-packages that a copy coming earlier on sys.path (PYTHONPATH, a .pth,
    the project) hides, even when that copy is a distribution too (pip install --target)."""
    if not candidates or candidates[0]["origin"] in ("site", "finder"):
        return None
    site_dirs = {os.path.normpath(d) for d in (ctx.facts.get("interp") or {}).get("site_dirs", [])}
    winner_dir = os.path.normpath(candidates[0]["entry"])
    for dist in owners:
        where = os.path.normpath(dist["location"])
        if where in site_dirs and where != winner_dir:
            return dist
    return None


def _unexplained(ctx, imported):
    """A failing 'import nose' that no earlier finding for this target explains."""
    nose = ctx.facts.get("nose") or {}
    error = imported.get("error") or nose.get("load_error")
    if not error or any(f.severity == "error" for f in ctx.found):
        return
    # the probe's own frames say nothing about the install
    frames = [f for f in error.get("frames") or []
              if os.path.normpath(f["file"]) != os.path.normpath(PROBE)]
    what = ("nose imports, but its plugin machinery fails to load" if imported.get("ok")
            else "'import nose' fails")
    yield Finding(
        "resolution.import-fails", "error",
        f"{what}: {error.get('type')}: {error.get('message')}",
        evidence=[f"{f['file']}:{f['line']}: {f['code']}" for f in frames[-3:]],
        fix=f"{pip(ctx)} install --force-reinstall {FORK}",
        file=frames[-1]["file"] if frames else None, line=frames[-1]["line"] if frames else None)


register("resolution", "'import nose' resolves to the installed distribution", check)
