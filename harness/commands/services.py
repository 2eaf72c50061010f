"""Start, stop and inspect the PostgreSQL and RabbitMQ that test runs use.

  harness services up       start private instances (or check configured URLs) and leave them
                            running; every `nosetests --with-services` run then reuses them.
                            Each step is printed with its duration.
  harness services status   health check of every recorded instance (connect + trivial query);
                            stale records (dead pid, port taken by another process, ended run)
                            are cleaned and reported. Exit status 1 when something is unhealthy.
  harness services env      `export HARNESS_PG_URL=...` lines: eval "$(harness services env)".
                            A URL with a password is kept in <state_dir>/pg.url or amqp.url
                            (mode 0600) and read from there by the line, so it is never printed.
  harness services down     stop what `up` started and delete its data.

The state file is <state_dir>/services.json (default .harness/, mode 0600). Modes: auto (default:
configured URLs, else private), external (configured URLs only), private (ignore URLs).
"""

import shlex
import sys

ACTIONS = ("up", "down", "status", "env")


def configure(parser):
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("--mode", choices=("auto", "external", "private"), default="auto",
                        help="where servers come from (default: auto)")
    parser.add_argument("--services", dest="kinds", default=None, metavar="LIST",
                        help="postgres, rabbitmq or both (default)")
    parser.add_argument("--pg-url", default=None, metavar="URL", help="external PostgreSQL")
    parser.add_argument("--amqp-url", default=None, metavar="URL", help="external RabbitMQ")
    parser.add_argument("--project", default=".", metavar="DIR",
                        help="project directory holding setup.cfg (default: .)")


def run(args):
    from harness.services import lifecycle

    kinds = lifecycle.parse_kinds(args.kinds)
    return {"up": _up, "down": _down, "status": _status, "env": _env}[args.action](
        args, kinds, lifecycle)


def _stale(stale):
    from harness.urls import mask

    for record, reason in stale:
        where = f" ({mask(record.url)})" if record.url else ""
        print(f"{record.kind:<9} cleaned stale record {record.id}{where}: {reason}")


def _where(record):
    from harness.urls import mask

    if record.external:
        return f"{mask(record.url)}  (external, from {record.source})"
    return f"{mask(record.url)}  (pid {record.pid}, {record.version}, {record.root})"


def _up(args, kinds, lifecycle):
    from harness.services.progress import Progress, printer

    results, stale = lifecycle.up(mode=args.mode, kinds=kinds, pg_url=args.pg_url,
                                  amqp_url=args.amqp_url, project_dir=args.project,
                                  progress=Progress(printer(sys.stdout)))
    _stale(stale)
    for record, action in results:
        print(f"{record.kind:<9} {action:<8} {_where(record)}")
    state_dir = lifecycle.statefile_for(args.project).path
    print(f"state: {state_dir}")
    print('use: nosetests --with-services (reuses them), or eval "$(harness services env)"')
    return 0


def _down(args, kinds, lifecycle):
    from harness.urls import mask

    stopped, stale = lifecycle.down(project_dir=args.project, kinds=kinds)
    _stale(stale)
    for record in stopped:
        verb = "forgot" if record.external else "stopped"
        print(f"{record.kind:<9} {verb:<8} {mask(record.url)}")
    if not stopped:
        print("nothing to stop: no instance left running by `harness services up`")
    return 0


def _status(args, kinds, lifecycle):
    from harness.errors import ServiceError
    from harness.services import rabbitmq
    from harness.urls import mask

    rows, stale = lifecycle.status(project_dir=args.project)
    _stale(stale)
    healthy = True
    for record, problem, _version in rows:
        if record.kind not in kinds:
            continue
        owner = "up" if record.owner == "up" else f"test run pid {record.owner_pid}"
        mark = "ok" if problem is None else "FAIL"
        print(f"{record.kind:<9} {mark:<5} {_where(record)}  [{owner}]")
        if problem:
            healthy = False
            print(f"          {problem}")
        elif record.kind == "rabbitmq" and not record.external:
            print(f"          rabbitmqctl: {rabbitmq.ctl_hint(record)}")
    if not rows:
        print("no instances recorded; `harness services up` starts them")
    for kind in kinds:
        setting = lifecycle.configured(kind, args.pg_url, args.amqp_url, args.project)
        if setting is None:
            continue
        try:
            version = lifecycle.check(kind, setting.value, source=setting.source)
            print(f"{kind:<9} ok    {mask(setting.value)}  (configured: {setting.source}; "
                  f"{version})")
        except ServiceError as error:
            healthy = False
            print(f"{kind:<9} FAIL  {error.render()}")
    return 0 if healthy else 1


def _env(args, kinds, lifecycle):
    from harness.urls import mask

    urls = lifecycle.running_urls(project_dir=args.project)
    missing = []
    for kind in kinds:
        if kind not in urls:
            missing.append(kind)
            continue
        url, name = urls[kind], lifecycle.ENV_VARS[kind]
        if mask(url) == url:
            print(f"export {name}={shlex.quote(url)}")
            continue
        # the password stays in a 0600 file: the shell reads it, nothing prints it
        path = lifecycle.write_url_file(kind, url, project_dir=args.project)
        print(f'export {name}="$(cat {shlex.quote(path)})"  # {mask(url)}')
    if missing:
        print(f"# not running: {', '.join(missing)}; start with: harness services up",
              file=sys.stderr)
        return 1
    return 0
