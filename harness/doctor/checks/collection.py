"""A collection smoke test: ``nosetests --collect-only`` in the project, watched from inside.

It runs in its own subprocess with a timeout (test modules are imported, and import-time code can
hang or exit). It catches what a green CI run hides: zero tests collected, a module that raises
``SystemExit`` or parses ``sys.argv`` while nose imports it, test files skipped because they are
executable, and plugins the config asks for that are not active.
"""

import os
import re

from harness import inifile
from harness.doctor.checks import register
from harness.doctor.findings import Finding, cap

_FRAME = re.compile(r'File "(.+?)", line (\d+) in (\S+)')


def stuck_at(stderr, ctx):
    """The innermost frames of the main thread in the dump the probe writes just before the
    timeout (faulthandler, most recent call first), keeping the project's own code."""
    dump = stderr.rsplit("Timeout (", 1)
    if len(dump) < 2:
        return []
    for block in re.split(r"\n(?=(?:Current thread|Thread) 0x)", dump[1]):
        frames = [(f, int(n), fn) for f, n, fn in _FRAME.findall(block)]
        if any(f.endswith("probe.py") and fn == "collect" for f, _, fn in frames):
            mine = [fr for fr in frames if fr[0].startswith(ctx.project + os.sep)
                    and f"{os.sep}site-packages{os.sep}" not in fr[0]
                    and not fr[0].endswith("probe.py")]
            return mine or [fr for fr in frames if "/nose/" not in fr[0]
                            and not fr[0].endswith("probe.py")]
    return []


def requested_at(ctx, plugin):
    """Where the run asks for ``plugin``: a config file line, or the NOSE_WITH_ variable."""
    key = f"with-{plugin}"
    for item in (ctx.facts.get("config") or {}).get("files") or []:
        if any(v["name"] == key for v in item.get("values") or []):
            entry = inifile.section(item["path"], "nosetests").get(key)
            return entry.where if entry else item["path"]
    var = "NOSE_WITH_" + plugin.upper().replace("-", "_")
    if any(v["name"] == var for v in (ctx.facts.get("config") or {}).get("env") or []):
        return var
    return None


def _explained(ctx, *ids):
    return any(f.id in ids or f.id.split(".")[0] in ids for f in ctx.found if f.is_problem)


def check(ctx):
    collect = ctx.collect
    if collect is None:
        ctx.skip("--no-collect")
        return
    if collect.get("timeout"):
        stuck = stuck_at(collect.get("stderr") or "", ctx)
        where = f"{stuck[0][0]}:{stuck[0][1]} (in {stuck[0][2]})" if stuck else None
        yield Finding(
            "collection.timeout", "error",
            f"collection did not finish within {collect['timeout']:g} s: "
            + (f"it is stuck at {where}" if where else "a test module blocks while nose "
                                                         "collects it"),
            evidence=[f"{f}:{n} in {fn}" for f, n, fn in stuck[:4]],
            fix="move the waiting call (network, input(), a server, a generator test doing the "
                "work while it is collected) into the test or a fixture",
            file=stuck[0][0] if stuck else None, line=stuck[0][1] if stuck else None)
        return
    error = collect.get("error")
    frames = (error or {}).get("frames") or []
    from_config = bool(frames) and frames[-1]["file"].endswith("config.py") and _explained(
        ctx, "config")
    if error and (from_config or _explained(ctx, "compat", "ownership", "resolution",
                                            "plugins.options-failed")):
        ctx.skip("collection fails for the reason above")
    elif error:
        yield Finding(
            "collection.crashed", "error",
            f"nose crashes while collecting: {error['type']}: {error['message']}",
            evidence=[f"{f['file']}:{f['line']}: {f['code']}" for f in frames[-3:]],
            fix="see the last frame above", file=frames[-1]["file"] if frames else None,
            line=frames[-1]["line"] if frames else None)
    exit_ = collect.get("system_exit")
    parsers = {(c["file"], c["line"]) for c in collect.get("argv_parsers") or []}
    if exit_ and (exit_.get("file"), exit_.get("line")) in parsers:
        exit_ = None  # an argv parser that rejected nose's arguments: reported below
    if exit_:
        code = collect.get("exit")
        if exit_.get("in_optparse"):
            if _explained(ctx, "config"):
                ctx.skip("nose stops before collecting, for the config problem above")
            else:
                tail = [line for line in (collect.get("stderr") or "").splitlines() if line]
                yield Finding(
                    "collection.options-rejected", "error",
                    "nose rejects its options before collecting: " + (tail[-1] if tail else ""),
                    evidence=tail[-2:], fix="run 'harness run' for where the option comes from")
        elif not exit_.get("inside_nose"):
            yield Finding(
                "collection.system-exit", "error",
                f"{exit_['file']}:{exit_['line']} raises SystemExit({code!r}) while nose imports "
                f"it: the run stops before any test"
                + (" and exits 0, so CI is green" if code in (0, None) else ""),
                evidence=[f"{exit_['file']}:{exit_['line']}: {exit_['code']}"],
                fix="put that call under \"if __name__ == '__main__':\"",
                file=exit_["file"], line=exit_["line"])
    seen = set()
    raised = collect.get("system_exit") or {}
    for call in collect.get("argv_parsers") or []:
        key = (call["file"], call["line"])
        if key in seen:
            continue
        seen.add(key)
        yield Finding(
            "collection.argv-parsed", "error",
            f"{call['file']}:{call['line']} parses sys.argv ({call['kind']}) while nose imports "
            f"it: it sees nose's arguments, and rejects or misreads them"
            + (f" (here it exits with {collect.get('exit')!r})"
               if (call["file"], call["line"]) == (raised.get("file"), raised.get("line"))
               else ""),
            evidence=[f"{call['file']}:{call['line']}: {call['code']}"],
            fix="move the parsing under \"if __name__ == '__main__':\", or pass it an explicit "
                "argument list; 'harness run --argv-isolate' hides nose's arguments meanwhile",
            file=call["file"], line=call["line"])
    if collect.get("executables"):
        files = collect["executables"]
        yield Finding(
            "collection.exe-skipped", "warning",
            f"{len(files)} test file(s) are skipped because they are executable",
            evidence=cap(files, 4),
            fix="chmod -x " + " ".join(os.path.relpath(f, ctx.project) for f in files[:4])
                + (" ..." if len(files) > 4 else "") + " (or run nosetests --exe)")
    for item in collect.get("requested_inactive") or []:
        where = requested_at(ctx, item["name"])
        reason = _inactive_reason(ctx, item)
        yield Finding(
            "collection.plugin-inactive", "error",
            f"plugin {item['name']} is requested but not active: {reason}",
            evidence=[f"requested at {where}" if where else
                      f"its enable option is set, but nose ran without {item['name']}"],
            fix="see the plugins findings for why; fix or uninstall the plugin",
            file=where.rsplit(":", 1)[0] if where and ":" in where else None,
            line=int(where.rsplit(":", 1)[1]) if where and ":" in where else None)
    failures = collect.get("failures") or []
    if failures:
        yield Finding(
            "collection.import-errors", "error",
            f"{len(failures)} test module(s) fail to load, so their tests never run",
            evidence=cap([f"{f['test']}: {f['error']}" for f in failures], 4),
            fix="fix the import errors above (run 'nosetests -v' for the full tracebacks)")
    ran = collect.get("ran")
    if ran == 0 and not exit_ and not error:
        yield Finding(
            "collection.zero-tests", "warning",
            f"nose collects no tests in {collect.get('working_dir') or ctx.project}",
            evidence=[f"test names must match {collect.get('test_match')}",
                      f"looked in {collect.get('working_dir')}"],
            fix="check where= / -w, the test file names, and executable bits")


def _inactive_reason(ctx, item):
    """Why a requested plugin is off: the facts name the colliding option, the smoke run only
    knows that there was one."""
    for plugin in (ctx.facts.get("nose") or {}).get("plugins") or []:
        reason = plugin.get("disabled_reason") or ""
        if plugin["name"] == item["name"] and "conflicting option string(s):" in reason:
            taken = re.findall(r"--?[\w-]+", reason.split("conflicting option string(s):")[-1])
            return (f"nose disabled it because its option {', '.join(taken)} is already "
                    f"taken (see plugins.option-conflict)")
    return item["reason"]


register("collection", "a collect-only run finds tests and exits cleanly", check,
         needs=("probe", "collect"))
