"""Options that ``nosetests --help`` lists but a real run rejects (``harness doctor --options``).

``--help`` only shows nose's parser. A run can still refuse a listed option: a config file nose
cannot apply makes every option fail, and a test module that parses ``sys.argv`` when nose
imports it rejects every option its own parser does not define (the classic "``-x`` is in --help
but ``nosetests -x`` says no such option"). For each option the probe lists, this family asks the
target interpreter (``options_target.py``, run in the project) whether nose's parser with the
project's config accepts it, then replays it against every parser that collection triggers.

Findings (stable ids, for docs/doctor.md):

* ``options.rejected-by-nose``: nose's own parser refuses listed options, with nose's reason;
* ``options.rejected-by-foreign``: a parser at FILE:LINE in the test code refuses them;
* ``options.exit-at-import``: a test module raises SystemExit at import, so every run ends there;
* ``options.inert``: options of a plugin that nose disabled: accepted, but they do nothing;
* ``options.unchecked`` (warning): the check could not run, or the probe listed no option;
* ``options.accepted`` (info): every listed option is accepted.

Off by default (it runs a collection in the project); ``harness doctor --options`` turns it on.
"""

import json
import os
import subprocess

from harness.doctor.checks import register
from harness.doctor.findings import Finding, cap
from harness.options import Install

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "options_target.py")
TIMEOUT = 60.0
SKIPPED_ACTIONS = ("help", "version")  # they print and exit; nothing to check


def sample(option):
    """Arguments that make ``option`` parse: the option string, then plausible values."""
    nargs = option.get("nargs") or (1 if option.get("type") or option["action"] in (
        "store", "append") else 0)
    if option["action"] in ("store_true", "store_false", "store_const", "count",
                            "append_const", "callback") and not option.get("type"):
        nargs = 0
    if option.get("choices"):
        value = option["choices"][0]
    elif option.get("type") in ("int", "long"):
        value = "1"
    elif option.get("type") == "float":
        value = "1.0"
    else:
        value = "."
    return [value] * nargs


def listed_options(facts):
    """(option string, sample values) for the long form of each option --help lists."""
    out = []
    for option in (facts.get("nose") or {}).get("options", []):
        if option["action"] in SKIPPED_ACTIONS or not option["opts"]:
            continue
        values = sample(option)
        for opt in option["opts"]:
            out.append((opt, values))
    return out


def experiment(ctx, options):
    target = ctx.target
    env = dict(target.env, PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1",
               HARNESS_DOCTOR="1")
    request = json.dumps({"project": target.project, "options": options})
    try:
        done = subprocess.run([target.python, SCRIPT, request], cwd=target.project, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, f"the option check did not finish within {TIMEOUT:g} s"
    try:
        return json.loads(done.stdout.decode("utf-8", "replace")), None
    except ValueError:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return None, "the option check failed: " + (" / ".join(tail) or f"exit {done.returncode}")


def _short(path, project):
    relative = os.path.relpath(path, project)
    return path if relative.startswith("..") else relative


def _which(refused, options):
    """The shorter of the two lists: the rejected options, or the ones still accepted."""
    accepted = [opt for opt, _ in options if opt not in refused]
    if len(accepted) < len(refused):
        return ("accepted: only " + ", ".join(accepted)) if accepted else "accepted: none"
    return "rejected: " + ", ".join(refused)


def check(ctx):
    facts = ctx.facts
    if not (facts.get("nose") or {}).get("import", {}).get("ok"):
        return  # the install family reports why nose does not import
    options = listed_options(facts)
    if not options:
        # nose imported but its parser could not be built: nothing to try, which is no success
        why = (facts.get("nose") or {}).get("load_error") or \
            (facts.get("nose") or {}).get("parser_error") or {}
        yield Finding("options.unchecked", "warning",
                      "could not check the listed options: the probe found none",
                      evidence=[f"{why.get('type')}: {why.get('message')}"] if why else [],
                      target=ctx.python)
        return
    result, error = experiment(ctx, options)
    if result is None:
        yield Finding("options.unchecked", "warning", "could not check the listed options",
                      evidence=[error], target=ctx.python)
        return
    problems = 0
    rejected = result.get("nose") or {}
    if rejected:
        problems += 1
        reasons = sorted(set(rejected.values()))
        same = len(reasons) == 1 and len(rejected) > 1
        yield Finding(
            "options.rejected-by-nose", "error",
            f"nose's parser rejects {len(rejected)} of the {len(options)} option strings that "
            f"--help lists" + (f": {reasons[0]}" if same else ""),
            evidence=cap(f"{opt}: {why}" for opt, why in sorted(rejected.items())),
            fix="fix the config file or NOSE_* variable named in the reason" if same else
            "see each reason", target=ctx.python)
    for foreign in result.get("foreign", []):
        refused = foreign.get("rejects") or {}
        if not refused:
            continue
        problems += 1
        where = _short(foreign["file"], ctx.target.project)
        yield Finding(
            "options.rejected-by-foreign", "error",
            f"{len(refused)} of the {len(options)} option strings --help lists are rejected at "
            f"run time by the {foreign['api']} parser that {where}:{foreign['line']} runs while "
            f"nose imports it",
            evidence=[f"{where}:{foreign['line']}: {foreign['code']}",
                      _which(refused, options),
                      "for example " + "; ".join(f"{opt}: {why}" for opt, why in
                                                 list(refused.items())[:2])],
            fix="parse the command line only under `if __name__ == '__main__':` (or parse an "
                "explicit list); meanwhile `harness run --isolate` hides nose's arguments",
            target=ctx.python, file=where, line=foreign["line"])
    for exit_ in result.get("exits", []):
        problems += 1
        where = _short(exit_["file"], ctx.target.project)
        yield Finding(
            "options.exit-at-import", "error",
            f"{exit_['api']} raises SystemExit({exit_['exit_code']!r}) when nose imports "
            f"{where}: every run stops there, whatever its options",
            evidence=[f"{where}:{exit_['line']}: {exit_['code']}"],
            fix="move the call under `if __name__ == '__main__':`", target=ctx.python,
            file=where, line=exit_["line"])
    install = Install(facts, python=ctx.python)
    for plugin in install.nose.get("plugins", []):
        reason = plugin.get("disabled_reason")
        if reason:
            listed = [o for o, _ in options if install.owner(o) == plugin["name"]]
            if listed:
                problems += 1
                yield Finding(
                    "options.inert", "warning",
                    f"--help lists {', '.join(listed)} of plugin {plugin['name']}, but nose "
                    f"disabled the plugin: the options are accepted and do nothing",
                    evidence=[f"{plugin['module']}.{plugin['cls']} has a {reason}"],
                    fix="uninstall one of the plugins that register the same option",
                    target=ctx.python)
    if not problems:
        yield Finding("options.accepted", "info",
                      f"all {len(options)} option strings --help lists are accepted",
                      target=ctx.python)


register("options", "options nosetests --help lists", check, default=False, flag="options",
         help="check that a real run accepts every option `nosetests --help` lists")
