"""Find and explain broken nose installs.

The doctor inspects the nose setup you actually run: by default the interpreter behind the
`nosetests` first on PATH and the current interpreter (--python picks others, such as a venv or a
tox env). It never imports nose itself: a probe runs inside each interpreter. Each finding names
the cause, with its evidence and its fix.

exit codes: 0 healthy, 1 problems found, 2 the doctor could not run

examples:
  harness doctor
  harness doctor --python .tox/py312/bin/python --project ~/src/app
  harness doctor --json > doctor.json
"""

import sys


def configure(parser):
    from harness.doctor import checks
    parser.add_argument("--python", action="append", metavar="PATH", default=[],
                        help="interpreter (or venv directory) to inspect, repeatable; default: "
                             "the one behind nosetests on PATH, and the current one")
    parser.add_argument("--project", metavar="DIR", default=None,
                        help="project whose config files apply (default: current directory)")
    parser.add_argument("-c", "--config", action="append", metavar="FILE", default=[],
                        help="extra nose config file, as given to nosetests -c (repeatable)")
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.add_argument("--no-collect", action="store_true",
                        help="skip the collect-only smoke run (it imports your test modules)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit of the collect-only smoke run (default: 60)")
    for family in checks.load().values():
        if family.flag:
            parser.add_argument(f"--{family.flag}", action="store_true", help=family.help)


def run(args):
    try:
        return _run(args)
    except Exception as error:  # whatever it is, the doctor could not run
        return _failed(args, error)


def _failed(args, error):
    """Exit 2 with one line (or, under --json, a JSON object saying the doctor failed)."""
    import json
    import traceback

    from harness.doctor.findings import SCHEMA
    from harness.errors import HarnessError

    if isinstance(error, HarnessError):
        message = error.render()
    else:
        # a bug in the doctor: name the exception and where it was raised, for the report
        frame = traceback.extract_tb(error.__traceback__)[-1]
        text = " ".join(str(error).split())
        message = (f"internal error: {type(error).__name__}: {text} "
                   f"({frame.filename}:{frame.lineno}); please report this")
    if args.json:
        print(json.dumps({"schema": SCHEMA, "status": "failed", "exit_code": 2,
                          "error": message}, indent=2, ensure_ascii=False))
    else:
        print(f"harness doctor: {message}", file=sys.stderr)
    return 2


def _run(args):
    import os

    from harness.doctor import checks, report
    from harness.doctor.diagnosis import default_targets, diagnose, merge
    from harness.errors import DoctorError

    project = os.path.abspath(args.project or os.getcwd())
    if not os.path.isdir(project):
        raise DoctorError(f"no project directory {project}", fix="give an existing --project DIR")
    if args.python:
        # a venv or tox env directory stands for its interpreter
        pythons = [os.path.join(p, "bin", "python") if os.path.isdir(p) else p
                   for p in args.python]
        targets = merge([(p, "--python") for p in pythons], project, args.config)
    else:
        targets = default_targets(project, args.config)
    selected = [name for name, fam in checks.load().items()
                if fam.flag and getattr(args, fam.flag.replace("-", "_"), False)]
    result = diagnose(targets, project, collect=not args.no_collect, selected=selected,
                      timeout=args.timeout, options=vars(args))
    if args.json:
        print(report.to_json(result))
    else:
        print(report.to_text(result, colour=report.use_colour(sys.stdout)))
    return result.exit_code
