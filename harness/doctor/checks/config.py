"""Configuration: the config files nose reads and the NOSE_* variables, checked value by value.

nose reads ``~/.noserc``, ``~/nose.cfg``, the project's ``setup.cfg`` (section ``[nosetests]``),
then any ``-c`` files, and takes option defaults from NOSE_* variables. Each value is fed to the
target install's real option parser by the probe; this check adds the file and line. Flags are the
trap: nose ignores the value of a flag, so ``with-doctest = 0`` and ``NOSE_WITH_DOCTEST=false`` turn
the plugin ON.
"""

import difflib

from harness import inifile
from harness.doctor.checks import register
from harness.doctor.findings import Finding


def _known_names(nose):
    return sorted({o[2:] for option in nose.get("options") or [] for o in option["opts"]
                   if o.startswith("--")})


def _short_form(nose, name):
    """The long name of ``-name`` when a config key is a short option (``x = 1`` for ``stop``)."""
    if len(name) != 1:
        return None
    for option in nose.get("options") or []:
        if "-" + name in option["opts"]:
            return next((o[2:] for o in option["opts"] if o.startswith("--")), None)
    return None


def _plugin_trouble(nose, name):
    """Why an option ``with-NAME`` is missing: a plugin that failed to load or was disabled."""
    if not name.startswith("with-"):
        return None
    plugin = name[len("with-"):]
    for ep in nose.get("entry_points") or []:
        if not ep["ok"] and (ep["name"] == plugin or ep["name"].replace("_", "-") == plugin):
            error = ep["error"]
            return (f"plugin {plugin!r} ({ep['dist']} {ep['dist_version']}) is installed but "
                    f"fails to import: {error['type']}: {error['message']}")
    for item in nose.get("plugins") or []:
        if item["name"] == plugin and item.get("disabled_reason"):
            return f"plugin {plugin!r} is disabled by nose: {item['disabled_reason']}"
    return None


def check(ctx):
    config = ctx.facts.get("config") or {}
    nose = ctx.facts.get("nose") or {}
    if not config.get("available"):
        ctx.skip("nose does not load")
        return
    if config.get("ignore_files"):
        yield Finding("config.files-ignored", "info",
                      "NOSE_IGNORE_CONFIG_FILES is set: nose reads no config file",
                      fix="unset NOSE_IGNORE_CONFIG_FILES to use setup.cfg and ~/.noserc")
    names = _known_names(nose)
    for item in config.get("files") or []:
        path = item["path"]
        if item.get("error"):
            yield Finding("config.parse-error", "error",
                          f"{path}: nose cannot parse this file and stops: {item['error']}",
                          evidence=[item["error"]], fix=f"fix the syntax of {path}", file=path)
            continue
        lines = inifile.section(path, "nosetests")
        for value in item.get("values") or []:
            entry = lines.get(value["name"])
            line = entry.line if entry else None
            where = f"{path}:{line}" if line else path
            shown = f"{value['name']} = {value['value']}"
            status = value["status"]
            if status == "unknown":
                short = _short_form(nose, value["name"])
                if short:
                    yield Finding(
                        "config.short-option", "error",
                        f"{where}: {value['name']!r} is the short form of --{short}; config "
                        f"files take long names only, so nose stops before collecting any test",
                        evidence=[f"{where}: {shown}"],
                        fix=f"write '{short} = {value['value']}' instead", file=path, line=line)
                    continue
                why = _plugin_trouble(nose, value["name"])
                close = difflib.get_close_matches(value["name"], names, n=3, cutoff=0.6)
                evidence = [f"{where}: {shown}"]
                if why:
                    evidence.append(why)
                if close:
                    evidence.append("did you mean: " + ", ".join(close))
                yield Finding(
                    "config.unknown-option", "error",
                    f"{where}: no such option {value['name']!r}; nose stops before collecting "
                    f"any test", evidence=evidence,
                    fix=("fix the plugin (see the plugins findings), or delete the line" if why
                         else f"use {close[0]!r}" if close else "delete the line"),
                    file=path, line=line)
            elif status == "invalid":
                yield Finding(
                    "config.invalid-value", "error",
                    f"{where}: {value['message']}; nose stops before collecting any test",
                    evidence=[f"{where}: {shown}"], fix="give a valid value, or delete the line",
                    file=path, line=line)
            elif status == "misleading":
                yield Finding(
                    "config.misleading-flag", "warning",
                    f"{where}: '{shown}' turns {value['name']} ON: nose ignores the value of a "
                    f"flag", evidence=[f"{where}: {shown}",
                                       f"{value['name']} is a flag (action {value['action']})"],
                    fix="delete the line to leave the flag off", file=path, line=line)
            elif status == "ignored":
                yield Finding(
                    "config.ignored-option", "warning",
                    f"{where}: nose ignores {value['name']!r} in config files",
                    evidence=[f"{where}: {shown}"],
                    fix="use 'verbosity = N' instead" if value["name"] == "verbose"
                    else "delete the line", file=path, line=line)
    yield from _env(config, nose)


def _env(config, nose):
    known = sorted({var for option in nose.get("options") or [] for var in option.get("env", [])}
                   | set(config.get("env_known") or []))
    for var in config.get("env") or []:
        shown = f"{var['name']}={var['value']}"
        if var["status"] == "unknown":
            close = difflib.get_close_matches(var["name"], known, n=2, cutoff=0.7)
            yield Finding(
                "config.unknown-env", "warning",
                f"{var['name']} is set, but this nose reads no such variable",
                evidence=[shown] + (["did you mean: " + ", ".join(close)] if close else []),
                fix=f"rename it to {close[0]}" if close else f"unset {var['name']}")
        elif var["status"] == "misleading":
            yield Finding(
                "config.misleading-env", "warning",
                f"{shown} turns {', '.join(var['options'])} ON: nose treats any non-empty "
                f"value as true", evidence=[shown],
                fix=f"unset {var['name']} to leave it off")
        elif var["status"] == "invalid":
            yield Finding(
                "config.invalid-env", "error",
                f"{shown}: {var['message']}; nose stops with a traceback",
                evidence=[shown] + [f"feeds {o}" for o in var["options"]],
                fix=f"give {var['name']} a valid value, or unset it")


register("config", "config files and NOSE_* variables mean what they say", check)
