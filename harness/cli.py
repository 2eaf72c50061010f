"""The ``harness`` command: argument parsing only.

Each subcommand lives in ``harness.commands.<name>`` and provides ``configure(parser)`` and
``run(args) -> exit code``. A module that sets ``RAW_ARGS = True`` receives the rest of the command
line untouched as ``args.rest`` (``harness run`` passes it to nose).
"""

import argparse
import importlib
import sys

from harness import __version__
from harness.errors import HarnessError

COMMANDS = (
    ("doctor", "find and explain broken nose installs"),
    ("run", "run nosetests, and explain option and collection failures at their origin"),
    ("services", "start, stop and inspect PostgreSQL and RabbitMQ for test runs"),
    ("fixtures", "check YAML fixtures against a database schema"),
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Diagnostics for nose, and real services with fixtures for nose test runs.")
    parser.add_argument("--version", action="version", version=f"nose-harness {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = {}
    for name, summary in COMMANDS:
        module = importlib.import_module(f"harness.commands.{name}")
        modules[name] = module
        child = sub.add_parser(name, help=summary, description=module.__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter,
                               add_help=not getattr(module, "RAW_ARGS", False))
        module.configure(child)
        child.set_defaults(run=module.run)
    return parser, modules


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, modules = build_parser()
    if argv and argv[0] in modules and getattr(modules[argv[0]], "RAW_ARGS", False):
        args = argparse.Namespace(command=argv[0], rest=argv[1:], run=modules[argv[0]].run)
    else:
        args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except HarnessError as error:
        print(f"harness {args.command}: {error.render()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
