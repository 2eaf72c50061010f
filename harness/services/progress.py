"""Timed steps: what the harness is doing while a server starts, and how long each step took.

A RabbitMQ boot takes seconds; ``harness services up`` prints each step as it finishes, so that a
slow machine shows where the time goes::

    postgres  copy cached initdb template      84 ms
    postgres  pg_ctl start until ready        412 ms

A step that raises is reported too, with ``failed=True``, before the error goes on::

    rabbitmq  rabbitmq-server until AMQP answers on :41234  failed after 2310 ms

``Progress(report)`` calls ``report(kind, step, seconds, failed)`` after each step; the default
reports nothing (the plugin stays quiet when everything works).
"""

import contextlib
import time


class Progress:
    def __init__(self, report=None):
        self.report = report
        self.steps = []  # (kind, step, seconds), for benchmarks and tests

    @contextlib.contextmanager
    def step(self, kind, name):
        start = time.perf_counter()
        try:
            yield
        except BaseException:
            if self.report:
                self.report(kind, name, time.perf_counter() - start, True)
            raise
        seconds = time.perf_counter() - start
        self.steps.append((kind, name, seconds))
        if self.report:
            self.report(kind, name, seconds, False)


def printer(stream):
    """A ``report`` callback writing aligned lines to ``stream``."""
    def report(kind, step, seconds, failed=False):
        if failed:
            stream.write(f"{kind:<9} {step:<44} failed after {seconds * 1000:.0f} ms\n")
        else:
            stream.write(f"{kind:<9} {step:<44} {seconds * 1000:>7.0f} ms\n")
        stream.flush()
    return report
