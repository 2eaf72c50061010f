"""Who owns the ``nose`` package.

nose, pynose, nose-py3 and nose3 all install the same ``nose/`` directory. With two of them
installed, the files on disk belong to whichever was installed last, ``pip check`` is silent, and
uninstalling either one deletes files the other needs. The check reads each distribution's RECORD
(what pip wrote down when it installed it) and compares it with the files on disk.
"""

import os
import re

from harness.doctor.checks import register
from harness.doctor.checks.compat import FORK, pip
from harness.doctor.findings import Finding, cap


def _req_name(requirement):
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return match.group(1).lower().replace("_", "-") if match else ""


def pullers(ctx, owner):
    """Distributions that declare a dependency on ``owner`` (e.g. a plugin requiring 'nose')."""
    name = owner["name"].lower().replace("_", "-")
    found = []
    for dist in (ctx.facts.get("dists") or {}).get("dists", []):
        for requirement in dist.get("requires") or []:
            if "extra ==" in requirement:
                continue
            if _req_name(requirement) == name:
                found.append(f"{dist['name']} {dist['version']} (Requires-Dist: {requirement})")
    return found


def check(ctx):
    everywhere = ctx.nose_owners()
    imported = ((ctx.facts.get("nose") or {}).get("import") or {})
    places = {}
    for dist in everywhere:
        places.setdefault(os.path.normpath(dist["location"]), []).append(dist)
    if len(places) > 1:
        yield Finding(
            "ownership.several-places", "info",
            f"nose is installed in {len(places)} places; the first on sys.path wins",
            evidence=[f"{d['name']} {d['version']} in {where}" for where, group in places.items()
                      for d in group])
    # files are shared (and overwritten) only between owners in the same directory
    owners = max(places.values(), key=len) if places else []
    if len(owners) > 1:
        evidence = []
        for dist in owners:
            changed = len(dist.get("record_modified") or []) + len(dist.get("record_missing") or [])
            state = (f"{changed} of its files on disk are not the ones it installed"
                     if changed else "the files on disk are this one's")
            evidence.append(f"{dist['name']} {dist['version']} at {dist['path']}: {state}")
        pulled = [p for dist in owners for p in pullers(ctx, dist)]
        evidence += [f"pulled in by {p}" for p in pulled]
        if imported.get("ok"):
            evidence.append(f"'import nose' gives version {imported.get('version')}")
        names = " ".join(d["name"] for d in owners)
        fix = f"{pip(ctx)} uninstall -y {names} && {pip(ctx)} install {FORK}"
        if pulled:
            fix += ("; then keep the plugin from pulling stock nose back in: install it with "
                    "--no-deps, or replace it")
        yield Finding(
            "ownership.multiple-owners", "error",
            f"{len(owners)} distributions own the nose package: {names}; the files are a mix and "
            f"uninstalling one breaks the other", evidence=evidence, fix=fix)
    for dist in everywhere:
        missing = [p for p in dist.get("record_missing") or [] if p.endswith(".py")]
        if missing:
            yield Finding(
                "ownership.files-missing", "error",
                f"{len(missing)} files of {dist['name']} {dist['version']} are missing: its "
                f"RECORD lists them (typically another distribution sharing nose/ was "
                f"uninstalled)",
                evidence=cap([f"missing: {p}" for p in missing], 4),
                fix=f"{pip(ctx)} uninstall -y {dist['name']} && {pip(ctx)} install {FORK}")
        modified = dist.get("record_modified") or []
        if modified and len(places.get(os.path.normpath(dist["location"]), [])) == 1:
            yield Finding(
                "ownership.files-modified", "warning",
                f"{len(modified)} files of {dist['name']} {dist['version']} differ from what it "
                f"installed (edited in place, or overwritten)",
                evidence=cap([f"changed: {p}" for p in modified], 4),
                fix=f"{pip(ctx)} install --force-reinstall --no-deps "
                    f"'{dist['name']}=={dist['version']}'")
    yield from _unowned(ctx, everywhere)


def _unowned(ctx, owners):
    """Files in the installed nose/ that no RECORD lists: leftovers of an uninstall."""
    site_dirs = {os.path.normpath(d) for d in (ctx.facts.get("interp") or {}).get("site_dirs", [])}
    for candidate in (ctx.facts.get("resolve") or {}).get("candidates", []):
        if candidate["origin"] != "site" or not os.path.isdir(candidate["path"]):
            continue
        if os.path.normpath(candidate["entry"]) not in site_dirs:
            continue
        known = {os.path.normpath(p) for d in owners for p in d.get("nose_files") or []}
        if not owners:
            yield Finding(
                "ownership.no-owner", "error",
                f"{candidate['path']} belongs to no installed distribution (its dist-info is "
                f"gone): a leftover of an uninstall",
                evidence=[f"no RECORD in {candidate['entry']} lists nose/"],
                fix=f"rm -rf {candidate['path']} && {pip(ctx)} install {FORK}",
                file=candidate["path"])
            continue
        stray = []
        for root, dirs, files in os.walk(candidate["path"]):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            stray += [os.path.join(root, f) for f in sorted(files)
                      if f.endswith(".py") and os.path.normpath(os.path.join(root, f)) not in known]
        if stray:
            yield Finding(
                "ownership.unowned-files", "warning",
                f"{len(stray)} files in {candidate['path']} belong to no installed distribution: "
                f"leftovers of an uninstall",
                evidence=cap(stray, 4),
                fix=f"{pip(ctx)} uninstall -y {' '.join(d['name'] for d in owners)} && "
                    f"rm -rf {candidate['path']} && {pip(ctx)} install {FORK}")


register("ownership", "one distribution owns nose, and its files match its RECORD", check)
