"""Side by side, in one run: how long until a private PostgreSQL / RabbitMQ answers a query.

    .venv/bin/python bench/services_boot.py [--repeat 5] [--rabbit-repeat 3] [--skip-rabbitmq]

"Ready" is the same for every method: the first successful ``SELECT 1`` (PostgreSQL) or AMQP
login with a channel opened (RabbitMQ), timed from the first command.

PostgreSQL:

- raw: ``initdb -N`` (same options as the harness) + ``pg_ctl start -w`` with port, loopback and
  no Unix socket given by ``-o``; under root both run as the same unprivileged account;
- harness cold: ``postgres.start_private()`` with an empty initdb cache (initdb, an in-memory
  snapshot; the template reaches the disk cache in the background, outside the timing);
- harness cached: ``postgres.start_private()`` with a warm cache (copy the template, start).

RabbitMQ:

- raw: the stock ``rabbitmq-server`` script with what any second node on a machine needs (own
  node name, AMQP/dist ports, mnesia/log dirs, HOME) and a ``rabbitmq.conf``, as documented;
  its epmd is a private one started by the benchmark so the machine's epmd is not touched;
- harness: ``rabbitmq.start_private()`` (no config file, no plugins, own epmd).

Every server is stopped and its directory deleted before the next one starts.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.services import (  # noqa: E402
    binaries,
    external,
    ports,
    postgres,
    process,
    rabbitmq,
    state,
)


def wait_pg(url, deadline=60):
    import psycopg2

    end = time.monotonic() + deadline
    while True:
        try:
            psycopg2.connect(url, connect_timeout=2).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > end:
                raise
            time.sleep(0.005)


def raw_postgres(pg, user):
    root = state.make_root("bench-raw-pg", markers=(postgres.MARKER,))
    user.chown_tree(root)
    data = os.path.join(root, "data")
    port = ports.free_ports(1)[0]
    kwargs = dict(cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                  **user.popen_kwargs())
    start = time.perf_counter()
    subprocess.run([pg.tool("initdb"), "-D", data, *postgres.INITDB_OPTIONS], check=True,
                   **kwargs)
    subprocess.run([pg.tool("pg_ctl"), "start", "-w", "-D", data, "-l",
                    os.path.join(root, "log"), "-o",
                    f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"],
                   check=True, **kwargs)
    wait_pg(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    seconds = time.perf_counter() - start
    subprocess.run([pg.tool("pg_ctl"), "stop", "-m", "immediate", "-w", "-D", data], **kwargs)
    state.remove_root(root)
    return seconds


def harness_postgres(cache):
    start = time.perf_counter()
    record = postgres.start_private(cache=cache)
    wait_pg(record.url)
    seconds = time.perf_counter() - start
    state.discard(record)
    return seconds


def raw_rabbitmq(rabbit):
    root = state.make_root("bench-raw-rabbitmq", markers=(rabbitmq.VM_MARKER,))
    amqp_port, dist_port, epmd_port = ports.free_ports(3)
    epmd = subprocess.Popen([rabbit.epmd, "-port", str(epmd_port), "-address", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not ports.listening(epmd_port):
        time.sleep(0.005)
    with open(os.path.join(root, "rabbitmq.conf"), "w", encoding="utf-8") as handle:
        handle.write(f"listeners.tcp.1 = 127.0.0.1:{amqp_port}\n")
    os.makedirs(os.path.join(root, "home"))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("RABBITMQ_", "ERL_"))}
    env.update(HOME=os.path.join(root, "home"), RABBITMQ_NODENAME=f"bench-{amqp_port}@localhost",
               RABBITMQ_NODE_PORT=str(amqp_port), RABBITMQ_DIST_PORT=str(dist_port),
               RABBITMQ_CONFIG_FILE=os.path.join(root, "rabbitmq.conf"),
               RABBITMQ_MNESIA_BASE=os.path.join(root, "mnesia"),
               RABBITMQ_LOG_BASE=os.path.join(root, "log"), ERL_EPMD_PORT=str(epmd_port))
    url = f"amqp://guest:guest@127.0.0.1:{amqp_port}/%2F"
    start = time.perf_counter()
    server = subprocess.Popen([rabbit.server], env=env, cwd=root, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"raw rabbitmq-server exited; see {root}/log")
            if ports.listening(amqp_port, timeout=0.05):
                try:
                    external.check_amqp(url, timeout=5)
                    break
                except Exception:
                    pass
            time.sleep(0.02)
        return time.perf_counter() - start
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the script and the VM it started: ours
        server.wait()
        epmd.terminate()
        epmd.wait()
        state.remove_root(root)


def harness_rabbitmq():
    start = time.perf_counter()
    record = rabbitmq.start_private()
    external.check_amqp(record.url)
    seconds = time.perf_counter() - start
    state.discard(record)
    return seconds


def measure(methods, repeat):
    """Run each ``(label, function, before)`` ``repeat`` times, interleaved so that a load spike
    on a shared machine hits every method alike; print and return the medians."""
    times = {label: [] for label, _, _ in methods}
    for round_ in range(repeat):
        order = methods if round_ % 2 == 0 else methods[::-1]
        for label, function, before in order:
            if before:
                before()  # untimed preparation
            times[label].append(function())
    for label, _, _ in methods:
        print(f"  {label:<36} median {statistics.median(times[label]) * 1000:7.0f} ms, best "
              f"{min(times[label]) * 1000:6.0f} ms   runs: "
              + ", ".join(f"{seconds * 1000:.0f}" for seconds in times[label]), flush=True)
    return [(statistics.median(times[label]), min(times[label])) for label, _, _ in methods]


def ratio(slow, fast):
    """``slow / fast`` for medians and for bests, as text."""
    return f"{slow[0] / fast[0]:.2f}x (best: {slow[1] / fast[1]:.2f}x)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rabbit-repeat", type=int, default=3)
    parser.add_argument("--skip-rabbitmq", action="store_true")
    args = parser.parse_args()

    pg = binaries.find_postgres()
    user = process.server_user()
    print(f"PostgreSQL {pg.version} ({pg.bindir}), server account {user.name}, "
          f"instances in {state.run_dir()}, {os.cpu_count()} CPUs")
    cold_cache = tempfile.mkdtemp(prefix="nh-bench-cache-")
    warm_cache = tempfile.mkdtemp(prefix="nh-bench-cache-")
    try:
        harness_postgres(warm_cache)  # fills the warm cache; not measured
        postgres.wait_for_cache()

        def empty_cold_cache():
            postgres.wait_for_cache()  # the previous cold start's template, saved meanwhile
            shutil.rmtree(cold_cache, ignore_errors=True)

        raw, harness_cold, cached = measure([
            ("raw initdb + pg_ctl start -w", lambda: raw_postgres(pg, user), None),
            ("harness, cold (no initdb cache)", lambda: harness_postgres(cold_cache),
             empty_cold_cache),
            ("harness, initdb cache", lambda: harness_postgres(warm_cache), None),
        ], args.repeat)
    finally:
        postgres.wait_for_cache()
        shutil.rmtree(cold_cache, ignore_errors=True)
        shutil.rmtree(warm_cache, ignore_errors=True)
    print(f"  raw / cached = {ratio(raw, cached)}; raw / cold = {ratio(raw, harness_cold)}; "
          f"cold / cached = {ratio(harness_cold, cached)}")

    if args.skip_rabbitmq:
        return
    rabbit = binaries.find_rabbitmq()
    print(f"RabbitMQ ({rabbit.server})")
    raw_r, ours = measure([
        ("raw rabbitmq-server (rabbitmq.conf)", lambda: raw_rabbitmq(rabbit), None),
        ("harness private node", harness_rabbitmq, None),
    ], args.rabbit_repeat)
    print(f"  raw / harness = {ratio(raw_r, ours)} (above 1: the harness node is ready sooner)")


if __name__ == "__main__":
    main()
