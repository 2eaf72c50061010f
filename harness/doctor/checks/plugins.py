"""Plugins: every entry point in ``nose.plugins.0.10`` and ``nose.plugins``, loaded and checked.

nose swallows plugin problems: an entry point that fails to import is a RuntimeWarning nobody
sees, a plugin whose option string is already taken is silently disabled, two plugins registered
under one name mean the second is skipped, and a builtin plugin module that fails to import simply
vanishes. Stock nose even loads entry points through ``pkg_resources``: without setuptools, every
third-party plugin is ignored. The probe loads each one on its own and records what nose did.
"""

import re

from harness.doctor.checks import register
from harness.doctor.checks.compat import FORK, pip
from harness.doctor.findings import Finding, cap


def _ep_line(ep):
    return f"[{ep['group']}] {ep['name']} = {ep['value']}  ({ep['dist']} {ep['dist_version']})"


def check(ctx):
    nose = ctx.facts.get("nose") or {}
    if not (nose.get("import") or {}).get("ok") or "entry_points" not in nose:
        ctx.skip("nose does not load")
        return
    eps = nose["entry_points"]
    if eps and not nose.get("entry_points_supported", True):
        yield Finding(
            "plugins.entry-points-ignored", "error",
            f"this nose loads plugins through pkg_resources, which is not installed: "
            f"{len(eps)} entry-point plugin(s) are silently ignored",
            evidence=cap([_ep_line(ep) for ep in eps], 4) + [
                "nose/plugins/manager.py falls back to builtin plugins when "
                "'import pkg_resources' fails"],
            fix=f"{pip(ctx)} uninstall -y nose && {pip(ctx)} install {FORK} (pynose reads entry "
                f"points with importlib.metadata), or {pip(ctx)} install setuptools")
    option_errors = nose.get("option_errors") or {}
    # a plugin whose options() raises fails the probe's load too: reported once, below
    yield from _load_failures(ctx, [ep for ep in eps if ep.get("plugin_name") not in option_errors])
    yield from _duplicates(eps)
    yield from _conflicts(ctx, nose)
    yield from _builtins(ctx, nose)
    for name, error in option_errors.items():
        frames = error.get("frames") or []
        yield Finding(
            "plugins.options-failed", "error",
            f"plugin {name} raises while registering its options: {error['type']}: "
            f"{error['message']}",
            evidence=[f"{f['file']}:{f['line']}: {f['code']}" for f in frames[-2:]],
            fix=f"upgrade or uninstall the distribution that provides plugin {name}",
            file=frames[-1]["file"] if frames else None,
            line=frames[-1]["line"] if frames else None)


def _load_failures(ctx, eps):
    for ep in eps:
        if ep["ok"]:
            continue
        error = ep["error"]
        missing = error.get("missing_module")
        frames = error.get("frames") or []
        evidence = [_ep_line(ep)] + [f"{f['file']}:{f['line']}: {f['code']}" for f in frames[-1:]]
        if missing == "pkg_resources":
            yield Finding(
                "plugins.pkg-resources-missing", "error",
                f"plugin {ep['name']} ({ep['dist']} {ep['dist_version']}) imports pkg_resources, "
                f"which is not installed: nose skips the plugin with a warning nobody sees",
                evidence=evidence,
                fix=f"{pip(ctx)} install setuptools (it provides pkg_resources), or upgrade "
                    f"{ep['dist']}")
        elif missing:
            top = missing.split(".")[0]
            yield Finding(
                "plugins.import-failed", "error",
                f"plugin {ep['name']} ({ep['dist']} {ep['dist_version']}) cannot be imported: "
                f"No module named {missing!r}; nose skips it with a warning nobody sees",
                evidence=evidence,
                fix=f"{pip(ctx)} install <the distribution that provides {top!r}>, or "
                    f"{pip(ctx)} uninstall {ep['dist']}",
                file=frames[-1]["file"] if frames else None,
                line=frames[-1]["line"] if frames else None)
        else:
            yield Finding(
                "plugins.import-failed", "error",
                f"plugin {ep['name']} ({ep['dist']} {ep['dist_version']}) fails to load: "
                f"{error['type']}: {error['message']}",
                evidence=evidence, fix=f"upgrade or uninstall {ep['dist']}",
                file=frames[-1]["file"] if frames else None,
                line=frames[-1]["line"] if frames else None)


def _duplicates(eps):
    by_name = {}
    for ep in eps:
        by_name.setdefault(ep["name"], []).append(ep)
    for name, same in by_name.items():
        if len(same) < 2:
            continue
        first = same[0]
        yield Finding(
            "plugins.duplicate-name", "warning",
            f"{len(same)} entry points are named {name!r}: nose loads only the first "
            f"({first['dist']}) and silently skips the others",
            evidence=[_ep_line(ep) for ep in same],
            fix="uninstall one of " + ", ".join(sorted({ep["dist"] for ep in same})))


def _conflicts(ctx, nose):
    core = set(nose.get("core_options") or [])
    owners = {}
    for plugin in nose.get("plugins") or []:
        if not plugin.get("disabled_reason"):
            for opt in plugin.get("options") or []:
                owners.setdefault(opt, []).append(plugin["name"])
    requested = {p["name"] for p in (ctx.collect or {}).get("requested_inactive") or []}
    for plugin in nose.get("plugins") or []:
        reason = plugin.get("disabled_reason")
        if not reason:
            continue
        strings = re.findall(r"(--?[\w-]+)", reason.split("conflicting option string(s):")[-1])
        sides = []
        for opt in strings:
            if opt in core:
                sides.append(f"{opt} is nose's own option")
            for other in owners.get(opt, []):
                if other != plugin["name"]:
                    sides.append(f"{opt} is also registered by plugin {other}")
        against = "; ".join(sides) or reason
        yield Finding(
            "plugins.option-conflict", "error" if plugin["name"] in requested else "warning",
            f"plugin {plugin['name']} is disabled: its option {', '.join(strings) or '?'} "
            f"collides ({against}); nose keeps the option registered first and disables the "
            f"later plugin",
            evidence=[f"nose warned: {plugin['cls']} has a {reason}",
                      f"order: nose's own options first, then plugins by load order; "
                      f"{plugin['name']} ({plugin['module']}) came later"],
            fix=f"upgrade or uninstall the distribution of {plugin['module']}, or of the plugin "
                f"it collides with")


def _builtins(ctx, nose):
    for item in nose.get("builtins") or []:
        if item["ok"] or not item["file_exists"]:
            continue  # a builtin the fork does not ship (pynose has no prof) is not a problem
        error = item["error"] or {}
        frames = error.get("frames") or []
        yield Finding(
            "plugins.builtin-failed", "error",
            f"builtin plugin module {item['module']} fails to import: {error.get('type')}: "
            f"{error.get('message')}; nose drops the plugin silently",
            evidence=[f"{f['file']}:{f['line']}: {f['code']}" for f in frames[-2:]],
            fix=(f"{pip(ctx)} install {error['missing_module']!r}" if error.get("missing_module")
                 else f"{pip(ctx)} install --force-reinstall {FORK}"),
            file=frames[-1]["file"] if frames else None,
            line=frames[-1]["line"] if frames else None)


register("plugins", "every plugin loads, with options of its own", check,
         needs=("probe", "collect"))
