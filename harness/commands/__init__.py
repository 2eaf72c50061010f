"""The harness subcommands: one module each, with ``configure(parser)`` and ``run(args)``."""
