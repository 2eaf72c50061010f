"""A private RabbitMQ node: its own node name, ports, epmd, directories, HOME and config.

``start_private()`` returns a ``state.Record`` for a running node that shares nothing with the
machine's broker or with another run:

- node name ``harness-<random>@localhost``;
- three free loopback ports: AMQP, Erlang distribution (``RABBITMQ_DIST_PORT``) and a private
  Erlang port mapper. The harness starts ``epmd -port P -address 127.0.0.1`` itself and gives the
  node ``ERL_EPMD_PORT=P`` and ``-start_epmd false``: the node never registers with (or starts) the
  machine's epmd on 4369, and nothing outlives the instance;
- ``RABBITMQ_MNESIA_BASE``, ``RABBITMQ_LOG_BASE`` and ``HOME`` (hence the Erlang cookie) inside the
  instance directory;
- no configuration file at all: the AMQP listener comes from ``RABBITMQ_NODE_IP_ADDRESS=127.0.0.1``
  and ``RABBITMQ_NODE_PORT``, loopback distribution from ``-kernel inet_dist_use_interface``.
  With any config file (even an Erlang-term one) RabbitMQ 3.10 scans every installed plugin for
  cuttlefish schemas, about 1.5 s of each boot. ``RABBITMQ_CONFIG_FILE``,
  ``RABBITMQ_CONFIG_FILES``, ``RABBITMQ_ADVANCED_CONFIG_FILE`` and ``RABBITMQ_CONF_ENV_FILE`` point
  at absent or empty files in the instance directory, so ``/etc/rabbitmq`` (whose listener is the
  machine's 5672) is never read;
- ``RABBITMQ_ENABLED_PLUGINS_FILE`` with no plugins: a test broker needs AMQP only, and every
  plugin adds boot time;
- ``RABBITMQ_ALLOW_INPUT=1`` with ``-noinput``, so that the script execs the VM and the pid the
  harness holds is the broker's own.

Readiness is the AMQP port accepting a login (``guest``/``guest``, allowed on loopback), polled
every 20 ms; if the VM exits first, the error shows the tail of its logs.

To use ``rabbitmqctl`` on a private node, give it the node's environment::

    HOME=<root>/home ERL_EPMD_PORT=<epmd port> <dir of rabbitmq-server>/rabbitmqctl \\
        -n harness-xxxx@localhost status

(``harness services status`` prints this line). Stopping kills the VM and its epmd: the node is
disposable and its directory is deleted.
"""

import os
import subprocess
import time
import uuid

from harness.errors import ServiceError
from harness.services import binaries, external, ports, process, state
from harness.services.progress import Progress

START_TIMEOUT = 90.0
# text on the command lines of the node's processes: tells them from any other VM or epmd
VM_MARKER = "-home {root}/home"     # erlexec puts HOME there
EPMD_MARKER = "{root}/epmd -port"   # epmd is started with argv[0] inside the instance directory
PORT_ATTEMPTS = 2

def node_env(root, node, amqp_port, dist_port, epmd_port, base=None):
    """The environment ``rabbitmq-server`` runs with: nothing inherited that names a node."""
    base = os.environ if base is None else base
    env = {key: value for key, value in base.items()
           if not key.startswith(("RABBITMQ_", "ERL_"))}
    env.update(
        HOME=os.path.join(root, "home"),
        RABBITMQ_NODENAME=node,
        RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
        RABBITMQ_NODE_PORT=str(amqp_port),
        RABBITMQ_DIST_PORT=str(dist_port),
        RABBITMQ_CONFIG_FILE=os.path.join(root, "none"),  # absent on purpose: see above
        RABBITMQ_CONFIG_FILES=os.path.join(root, "conf.d"),
        RABBITMQ_ADVANCED_CONFIG_FILE=os.path.join(root, "advanced.config"),
        RABBITMQ_CONF_ENV_FILE=os.path.join(root, "rabbitmq-env.conf"),
        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(root, "enabled_plugins"),
        RABBITMQ_MNESIA_BASE=os.path.join(root, "mnesia"),
        RABBITMQ_LOG_BASE=os.path.join(root, "log"),
        RABBITMQ_PID_FILE=os.path.join(root, "rabbitmq.pid"),
        RABBITMQ_ALLOW_INPUT="1",
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
            "-noinput -start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"),
        ERL_EPMD_PORT=str(epmd_port),
        ERL_EPMD_ADDRESS="127.0.0.1",
    )
    return env


def ctl_hint(record):
    """The command line that points ``rabbitmqctl`` at a private node."""
    return (f"HOME={record.root}/home ERL_EPMD_PORT={record.ports.get('epmd')} "
            f"{record.extra.get('rabbitmqctl', 'rabbitmqctl')} -n {record.extra.get('node')} "
            "status")


def start_private(owner="run", progress=None, environ=None, rabbit=None, amqp_port=None):
    """Start a private node; returns its ``state.Record`` (not yet saved in any state file).

    ``amqp_port`` fixes the AMQP port (default: a free one, with a retry if it is taken before
    the node binds it).
    """
    progress = progress or Progress()
    environ = os.environ if environ is None else environ
    if rabbit is None:
        with progress.step("rabbitmq", binaries.FIND_STEPS["rabbitmq"]):
            rabbit = binaries.find_rabbitmq(environ)
    attempts_left = 1 if amqp_port else PORT_ATTEMPTS
    while True:
        attempts_left -= 1
        try:
            # None when a port was taken meanwhile; the last attempt raises instead
            record = _attempt(rabbit, owner, progress, environ, attempts_left == 0, amqp_port)
        except _PortTaken:
            if attempts_left == 0:
                raise
            continue
        if record:
            return record


def _attempt(rabbit, owner, progress, environ, last_attempt, amqp_port=None):
    free = ports.free_ports(3)
    dist_port, epmd_port = free[1:]
    amqp_port = amqp_port or free[0]
    node = f"harness-{uuid.uuid4().hex[:8]}@localhost"
    root = state.make_root("rabbitmq", owner=owner, markers=(VM_MARKER, EPMD_MARKER),
                           base=state.run_dir(environ))
    procs = []
    try:
        with progress.step("rabbitmq", "plugins file, directories"):
            _layout(root)
        with progress.step("rabbitmq", f"epmd on 127.0.0.1:{epmd_port}"):
            epmd = _start_epmd(rabbit, root, epmd_port)
            procs.append(state.Proc("epmd", epmd.pid, marker=EPMD_MARKER.format(root=root)))
        env = node_env(root, node, amqp_port, dist_port, epmd_port, base=environ)
        started = time.time()
        with progress.step("rabbitmq", f"rabbitmq-server until AMQP answers on :{amqp_port}"):
            server = _start_server(rabbit, root, env)
            procs.insert(0, state.Proc("rabbitmq", server.pid, marker=VM_MARKER.format(root=root),
                                       stop_signal="SIGKILL"))
            url = f"amqp://guest:guest@127.0.0.1:{amqp_port}/%2F"
            version = _wait_ready(server, url, amqp_port, root, last_attempt)
        if version is None:
            _discard(procs, root)
            return None
        return state.Record(
            kind="rabbitmq", id=f"rabbitmq-{uuid.uuid4().hex[:8]}", url=url, owner=owner,
            port=amqp_port,
            ports={"amqp": amqp_port, "dist": dist_port, "epmd": epmd_port},
            extra={"node": node, "rabbitmqctl": os.path.join(os.path.dirname(rabbit.server),
                                                             "rabbitmqctl")},
            procs=procs, root=root, logs=_logs(root), os_user=process.current_user().name,
            version=version, started_at=started,
            **(state.owner_fields() if owner == "run" else {}))
    except BaseException:
        _discard(procs, root)
        raise


def _discard(procs, root):
    state.discard(state.Record(kind="rabbitmq", id="", url="", owner="run", procs=procs,
                               root=root), timeout=5.0)


def _layout(root):
    for name in ("home", "mnesia", "log"):
        os.makedirs(os.path.join(root, name), mode=0o700)
    files = {
        "enabled_plugins": "[].\n",
        "rabbitmq-env.conf": "# empty: /etc/rabbitmq/rabbitmq-env.conf must not apply\n",
    }
    for name, text in files.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as handle:
            handle.write(text)


def _start_epmd(rabbit, root, port):
    with open(os.path.join(root, "log", "epmd.log"), "wb") as out:
        # argv[0] names the instance directory: it marks the process as this instance's
        epmd = subprocess.Popen([os.path.join(root, "epmd"), "-port", str(port),
                                 "-address", "127.0.0.1"], executable=rabbit.epmd,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=root, **process.detached())
    deadline = time.monotonic() + 10.0
    while not ports.listening(port, timeout=0.05):
        if epmd.poll() is not None or time.monotonic() > deadline:
            raise _PortTaken(f"epmd could not listen on 127.0.0.1:{port}")
        time.sleep(0.005)
    return epmd


class _PortTaken(ServiceError):
    pass


def _start_server(rabbit, root, env):
    out = open(os.path.join(root, "log", "stdout.log"), "wb")
    with out:
        return subprocess.Popen([rabbit.server], env=env, cwd=root, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, **process.detached())


def _logs(root):
    log_dir = os.path.join(root, "log")
    names = sorted(name for name in os.listdir(log_dir)) if os.path.isdir(log_dir) else []
    return [os.path.join(log_dir, name) for name in names if name.endswith(".log")]


def _wait_ready(server, url, port, root, last_attempt):
    """The broker's version once it accepts a login; None when a port was taken (retry)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            # the VM's console output holds every log line and ends with the reason it stopped
            console = [os.path.join(root, "log", "stdout.log")]
            if "eaddrinuse" in process.tail(console, lines=40) and not last_attempt:
                return None
            detail = process.tail(console, lines=15)
            raise ServiceError(
                f"the private RabbitMQ exited during boot (exit status {server.returncode})",
                detail=detail, fix=process.log_fix(
                    detail, "read the log above; the instance and its full log were deleted",
                    f"run {server.args[0]} by hand to see why; the instance was deleted"))
        if ports.listening(port, timeout=0.05):
            try:
                return external.check_amqp(url, timeout=5.0)
            except ServiceError:
                pass  # listener up, boot not finished: try again
        time.sleep(0.02)
    raise ServiceError(f"the private RabbitMQ did not accept AMQP logins after {START_TIMEOUT:.0f} s",
                       detail=process.tail(_logs(root)))
