"""AMQP fixtures, side by side in one run: confirmed fixture publishing and cleanup.

0. The everyday case: load, reset and clean up fixtures/bank_events.yaml (median of 20 rounds).
1. Publishing N distinct messages (JSON body, headers, persistent) to one queue, each variant the
   median of --repeats runs:
   - the fixture loader (publisher confirms, pipelined, every message confirmed);
   - a raw py-amqp ``basic_publish`` loop without confirms (plus one round trip at the end);
   - a raw py-amqp loop with ``Connection(confirm_publish=True)``: one confirm per message.
2. Deleting 20 queues and 5 exchanges (with bindings):
   - ``Loaded.cleanup()`` over AMQP;
   - ``rabbitmqctl``, one call per object (``delete_queue``; exchanges through ``eval``, as
     rabbitmqctl has no delete_exchange);
   - ``rabbitmqctl eval`` once, deleting all 25 objects (its best case).

Run: ``.venv/bin/python bench/amqp_publish.py [--messages 10000] [--repeats 3] [--url amqp://...]``.
It creates
uniquely named objects on the broker and deletes them. rabbitmqctl must reach the same node.
"""

import argparse
import json
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import amqp  # noqa: E402

from harness.fixtures import amqp as core  # noqa: E402
from harness.fixtures import amqpformat as fmt  # noqa: E402

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672//"


def fixture_text(count, persistent):
    lines = [f"queues: {{bench: {{durable: {str(persistent).lower()}}}}}", "messages:"]
    for number in range(count):
        body = json.dumps({"transfer": number, "from": "alice", "to": "bob", "amount": "10.00"})
        lines.append(f"  - {{routing_key: bench, json: {body}, headers: {{n: {number}}}, "
                     f"persistent: {str(persistent).lower()}}}")
    return "\n".join(lines) + "\n"


def raw_messages(count, persistent):
    return [amqp.Message(json.dumps({"transfer": n, "from": "alice", "to": "bob",
                                     "amount": "10.00"}).encode(),
                         content_type="application/json", application_headers={"n": n},
                         delivery_mode=2 if persistent else 1) for n in range(count)]


def timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def bench_publish(url, count, persistent, repeats):
    broker = core.Broker(url, scope="bench-" + secrets.token_hex(3), timeout=60)
    fixtures = fmt.parse_text(fixture_text(count, persistent), file="bench.yaml")
    results = {}
    loads = []
    for repeat in range(repeats):
        started = time.perf_counter()
        loaded = broker.load(fixtures)
        loads.append(time.perf_counter() - started)
        assert broker.queue_counts(loaded.name("bench"))[0] == count
        if repeat < repeats - 1:
            loaded.cleanup()  # the next load starts from nothing again
    results["fixture load (declare + publish + confirms)"] = statistics.median(loads)
    queue = loaded.name("bench")
    results["fixture reset (purge + publish + confirms)"] = statistics.median(
        timed(loaded.reset) for _ in range(repeats))
    assert broker.queue_counts(queue)[0] == count

    params = core.connection_params(url)
    messages = raw_messages(count, persistent)
    for label, confirm in (("raw py-amqp loop, no confirms", False),
                           ("raw py-amqp loop, confirm_publish=True", True)):
        connection = amqp.Connection(**params, confirm_publish=confirm)
        connection.connect()
        channel = connection.channel()

        def loop(channel=channel):
            for message in messages:
                channel.basic_publish(message, "", queue)
            channel.queue_declare(queue, passive=True)  # one round trip: the broker has read them

        times = []
        for _ in range(repeats):
            broker.channel().queue_purge(queue)
            times.append(timed(loop))
        results[label] = statistics.median(times)
        connection.close()
    loaded.cleanup()
    broker.close()
    return results


def cleanup_fixture():
    lines = ["exchanges:"]
    lines += [f"  ex{n}: {{type: topic}}" for n in range(5)]
    lines += ["queues:"] + [f"  q{n}: {{}}" for n in range(20)]
    lines += ["bindings:"] + [f"  - {{exchange: ex{n % 5}, queue: q{n}, routing_key: k.{n}}}"
                              for n in range(20)]
    return fmt.parse_text("\n".join(lines) + "\n", file="cleanup.yaml")


def rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


def erlang_binary(name):
    return "<<" + ",".join(str(byte) for byte in name.encode()) + ">>"


def bench_cleanup(url):
    fixtures = cleanup_fixture()
    vhost = core.connection_params(url)["virtual_host"]
    results = {}

    broker = core.Broker(url, scope="bench-" + secrets.token_hex(3))
    loaded = broker.load(fixtures)
    results["reset over AMQP (purge 20 queues)"] = timed(
        lambda: loaded._pipelined([(lambda ch: ch.queue_purge, (q,)) for q in loaded.created_queues]))
    results["cleanup over AMQP (Loaded.cleanup)"] = timed(loaded.cleanup)
    assert broker.queue_counts(loaded.name("q0")) is None

    loaded = broker.load(fixtures)
    queues, exchanges = list(loaded.created_queues), list(loaded.created_exchanges)

    def one_call_per_object():
        for queue in queues:
            rabbitmqctl("delete_queue", "-p", vhost, queue)
        for exchange in exchanges:
            rabbitmqctl("eval", f"rabbit_exchange:delete(rabbit_misc:r({erlang_binary(vhost)}, "
                                f"exchange, {erlang_binary(exchange)}), false, <<\"bench\">>).")

    results["rabbitmqctl, one call per object (25 calls)"] = timed(one_call_per_object)
    assert broker.queue_counts(loaded.name("q0")) is None
    loaded.closed = True  # already gone

    loaded = broker.load(fixtures)
    queues, exchanges = list(loaded.created_queues), list(loaded.created_exchanges)
    vhost_bin = erlang_binary(vhost)
    code = (
        "[begin {ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(" + vhost_bin + ", queue, N)), "
        "rabbit_amqqueue:delete(Q, false, false, <<\"bench\">>) end || N <- ["
        + ",".join(erlang_binary(q) for q in queues) + "]], "
        "[rabbit_exchange:delete(rabbit_misc:r(" + vhost_bin + ", exchange, N), false, <<\"bench\">>)"
        " || N <- [" + ",".join(erlang_binary(x) for x in exchanges) + "]], ok.")
    results["rabbitmqctl eval, one call for all 25"] = timed(lambda: rabbitmqctl("eval", code))
    assert broker.queue_counts(loaded.name("q0")) is None
    loaded.closed = True
    broker.close()
    return results


def bench_small(url, rounds=20):
    """The everyday case: fixtures/bank_events.yaml (3 exchanges and queues, 3 bindings, 2 messages)."""
    path = Path(__file__).resolve().parents[1] / "fixtures" / "bank_events.yaml"
    broker = core.Broker(url, scope="bench-" + secrets.token_hex(3))
    broker.connection  # noqa: B018 - connecting is not part of the figures
    times = {"load (declare + publish + confirms)": [], "reset (purge + publish + confirms)": [],
             "cleanup (delete over AMQP)": []}
    for _ in range(rounds):
        started = time.perf_counter()
        loaded = broker.load_files([path])
        times["load (declare + publish + confirms)"].append(time.perf_counter() - started)
        times["reset (purge + publish + confirms)"].append(timed(loaded.reset))
        times["cleanup (delete over AMQP)"].append(timed(loaded.cleanup))
    broker.close()
    return {label: statistics.median(values) for label, values in times.items()}


def report(title, results, baseline):
    print(f"\n{title}")
    base = results[baseline]
    for label, seconds in results.items():
        ratio = seconds / base
        print(f"  {label:<48} {seconds * 1000:10.1f} ms   x{ratio:7.2f} of {baseline.split(' (')[0]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3, help="runs per publishing variant")
    parser.add_argument("--skip-rabbitmqctl", action="store_true")
    args = parser.parse_args()
    small = bench_small(args.url)
    print("\nfixtures/bank_events.yaml, median of 20 rounds")
    for label, seconds in small.items():
        print(f"  {label:<48} {seconds * 1000:10.1f} ms")
    for persistent in (False, True):
        kind = "persistent, durable queue" if persistent else "transient"
        results = bench_publish(args.url, args.messages, persistent, args.repeats)
        report(f"Publishing {args.messages} distinct messages (JSON body, headers; {kind}), "
               f"median of {args.repeats}", results, "fixture reset (purge + publish + confirms)")
        print("  per message: " + ", ".join(
            f"{seconds / args.messages * 1e6:.0f} us" for seconds in results.values()))
    if not args.skip_rabbitmqctl:
        report("Cleaning up 20 queues and 5 exchanges (20 bindings)", bench_cleanup(args.url),
               "cleanup over AMQP (Loaded.cleanup)")


if __name__ == "__main__":
    main()
