"""The ``nosetests`` command: which one runs, and whether its interpreter is still there.

A console script keeps the absolute path of the interpreter it was installed with. Move or copy the
venv and the script points at a python that no longer exists ("bad interpreter"), or silently at the
old venv's python and packages. Several ``nosetests`` on PATH mean the one that runs may not be the
one the user installed into.
"""

import os

from harness.doctor import scripts as scriptlib
from harness.doctor.checks import register
from harness.doctor.findings import Finding


def _same_dir(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


def judge(script, first):
    """Findings for one script (``first``: it is the one PATH runs)."""
    interp = script.interpreter
    venv = script.venv
    if not interp:
        return
    if not script.exists:
        own = os.path.join(venv, "bin", "python") if venv else None
        if own and os.path.exists(own) and not interp.startswith(venv + os.sep):
            old = os.path.dirname(os.path.dirname(interp))
            yield Finding(
                "command.moved-venv", "error" if first else "warning",
                f"{script.path} runs {interp}, which does not exist: the venv was moved from "
                f"{old} to {venv}",
                evidence=[f"{script.path}: {script.shebang}", f"{own} exists"],
                fix=f"recreate the venv ({own} -m venv --clear ...) and reinstall, or at least "
                    f"{own} -m pip install --force-reinstall --no-deps pynose to rewrite its "
                    f"scripts", file=script.path, line=1)
        else:
            yield Finding(
                "command.missing-interpreter", "error" if first else "warning",
                f"{script.path} runs {interp}, which does not exist ('bad interpreter')",
                evidence=[f"{script.path}: {script.shebang}"],
                fix=f"reinstall nose with a working interpreter, or delete {script.path}",
                file=script.path, line=1)
        return
    if venv and not _same_dir(os.path.dirname(interp), os.path.join(venv, "bin")):
        yield Finding(
            "command.other-interpreter", "warning",
            f"{script.path} lives in the venv {venv} but runs {interp}: it does not see that "
            f"venv's packages", evidence=[f"{script.path}: {script.shebang}"],
            fix=f"{os.path.join(venv, 'bin', 'python')} -m pip install --force-reinstall "
                f"--no-deps pynose", file=script.path, line=1)


def check(ctx):
    on_path = ctx.scripts
    seen = set()
    for index, script in enumerate(on_path):
        seen.add(os.path.realpath(script.path))
        yield from judge(script, index == 0)
    for target in ctx.targets:
        own = os.path.join(os.path.dirname(target.python), "nosetests")
        if os.path.isfile(own) and os.path.realpath(own) not in seen:
            seen.add(os.path.realpath(own))
            yield from judge(scriptlib.read(own), True)
    interpreters = {os.path.realpath(s.interpreter or s.path) for s in on_path}
    if len(on_path) > 1 and len(interpreters) > 1:
        yield Finding(
            "command.several-on-path", "info",
            f"{len(on_path)} nosetests scripts on PATH; {on_path[0].path} runs",
            evidence=[f"{s.path} -> {s.interpreter}" for s in on_path],
            fix="call the one you mean by its full path, or 'python -m nose' with the right "
                "python")
    if not on_path:
        yield Finding("command.not-on-path", "info", "no nosetests on PATH",
                      fix="activate the venv that has nose, or use 'python -m nose'")


register("command", "the nosetests command runs a working interpreter", check, scope="global",
         needs=())
