"""Test API for RabbitMQ: publish, receive and assert on messages of the loaded AMQP fixtures.

With ``--with-amqp-fixtures``, a test module or class lists its fixture files and the plugin loads
them before its tests, resets them before each test (queues purged, fixture messages published
again) and deletes them afterwards::

    from harness.testing import amqp as mq

    amqp_fixtures = ["bank_events.yaml"]      # next to this module, or in the project's fixtures/

    def test_transfer_publishes_an_event():
        app = make_app(exchange=mq.name("bank.events"))   # real, per-run names
        app.transfer(1, 2, "10.00")
        msg = mq.assert_received("audit", routing_key="transfer.created",
                                 json={"from": 1, "to": 2, "amount": "10.00"})
        assert msg.headers["source"] == "bank"

Names in fixtures are logical; on the broker they are scoped per run and worker
(``audit@nh-3f9a1c-p4242``). Every function here takes logical names; ``name()`` gives the real one,
for the code under test.

The harness's connection belongs to the test's thread. The code under test opens its own, with
``url()`` and the real names from ``name()``.

Receiving consumes from the broker. Messages that arrive but are not taken by the call (more than
``get`` needed, or not matching ``assert_received``) wait in the harness's inbox for that queue and
are returned by the next call: nothing received is dropped until the next reset.

Without nose (a script, another runner), ``fixtures(...)`` loads and cleans up around a block::

    with mq.fixtures("fixtures/bank_events.yaml") as loaded:
        print(loaded.queues)
"""

import difflib
import json as jsonlib
import re
import sys
from collections import deque
from contextlib import contextmanager
from pathlib import Path

import amqp as pyamqp

from harness.errors import FixtureError
from harness.fixtures import amqp as core

_loaded = []  # active fixture sets, innermost last (pushed and popped by the plugin)
_broker = [None]

DEFAULT_GET_TIMEOUT = 2.0
DEFAULT_CONSUME_TIMEOUT = 5.0
_ANY = object()
_PROPERTIES = {name for name, _ in pyamqp.Message.PROPERTIES} - {"application_headers"}


# -- state (used by the plugin and by ``fixtures``) ----------------------------------------------


def use_broker(broker):
    """Make ``broker`` the one this API talks to (the plugin calls this); returns the previous one."""
    previous, _broker[0] = _broker[0], broker
    return previous


def broker():
    """The harness's ``Broker``; created from the configured URL on first use without the plugin."""
    if _broker[0] is None:
        _broker[0] = core.Broker.from_config()
    return _broker[0]


def activate(loaded):
    _loaded.append(loaded)


def deactivate(loaded):
    if loaded in _loaded:
        _loaded.remove(loaded)


def active():
    """The loaded fixture sets, outermost first."""
    return list(_loaded)


@contextmanager
def fixtures(*files, using=None):
    """Load fixture files for the duration of a ``with`` block, then delete what they declared."""
    target = using or broker()
    loaded = target.load_files([Path(file) for file in files], outer=active())
    activate(loaded)
    try:
        yield loaded
    finally:
        deactivate(loaded)
        loaded.cleanup()


# -- names ---------------------------------------------------------------------------------------


def name(logical):
    """The real broker name of a logical exchange or queue name (``""`` and ``amq.*`` unchanged)."""
    return broker().names.real(logical)


queue = exchange = name


def url():
    """The broker URL the fixtures were loaded into (for the code under test; it has the password)."""
    return broker().url


def _display(real):
    logical = broker().names.logical(real)
    return repr(logical) if logical == real else f"{logical!r} ({real})"


# -- publish -------------------------------------------------------------------------------------


class _Call:
    """Where in the test a call was made, for error messages."""

    def __init__(self, depth):
        frame = sys._getframe(depth + 1)
        self.file, self.line = frame.f_code.co_filename, frame.f_lineno
        self.where = f"{self.file}:{self.line}"


def publish(exchange, routing_key="", body=b"", *, json=_ANY, headers=None, **properties):
    """Publish one message with a publisher confirm, as ``mandatory``.

    ``body`` is bytes or text; ``json=`` encodes a value as JSON (content type application/json).
    ``properties`` are AMQP properties: content_type, correlation_id, reply_to (a logical queue
    name), delivery_mode, priority, expiration, message_id, type, app_id, timestamp. With
    ``exchange=""`` the routing key is a logical queue name. A message the broker cannot route or
    refuses raises ``FixtureError`` naming this call.
    """
    call = _Call(1)
    for key in properties:
        if key not in _PROPERTIES:
            close = difflib.get_close_matches(key, sorted(_PROPERTIES), 1)
            raise TypeError(f"publish() got an unknown AMQP property {key!r}"
                            + (f"; did you mean {close[0]!r}?" if close else ""))
    target = broker()
    if json is not _ANY:
        body = jsonlib.dumps(json, separators=(",", ":")).encode("utf-8")
        properties.setdefault("content_type", "application/json")
    elif isinstance(body, str):
        body = body.encode("utf-8")
        properties.setdefault("content_type", "text/plain")
    if headers:
        properties["application_headers"] = headers
    if "reply_to" in properties:
        properties["reply_to"] = target.names.real(properties["reply_to"])
    if "expiration" in properties:
        properties["expiration"] = str(properties["expiration"])
    real_exchange = target.names.real(exchange)
    real_key = target.names.real(routing_key) if exchange == "" else routing_key
    message = pyamqp.Message(body, **properties)
    failed = target.publish([(call, real_exchange, real_key, message)], doing="publishing")
    if failed:
        raise FixtureError(f"message to exchange {exchange!r} with routing key {routing_key!r} "
                           f"was not delivered: {failed[0][1]}", file=call.file, line=call.line,
                           fix="bind a queue for this routing key in the fixture")


# -- receive -------------------------------------------------------------------------------------


def get(queue, timeout=DEFAULT_GET_TIMEOUT):
    """Take the next message from ``queue``; fail the test if none arrives within ``timeout``."""
    real = name(queue)
    target = broker()
    if not target.pull(real, lambda inbox: len(inbox) >= 1, timeout):
        raise AssertionError(f"no message on queue {_display(real)} within {timeout:g} s"
                             + _queue_state(real))
    return target.inbox[real].popleft()


def drain(queue):
    """Take every message that is in ``queue`` now (and any already received); may be empty."""
    real = name(queue)
    target = broker()
    counts = target.queue_counts(real)
    if counts is None:
        raise FixtureError(f"queue {queue!r} does not exist on the broker (real name {real!r})",
                           fix="declare it in an AMQP fixture of this test")
    inbox = target.inbox.setdefault(real, deque())
    wanted = len(inbox) + counts[0]
    target.pull(real, lambda box: len(box) >= wanted, target.timeout)
    taken = list(inbox)
    inbox.clear()
    return taken


def consume(queue, count=None, until=None, timeout=DEFAULT_CONSUME_TIMEOUT):
    """Take messages from ``queue`` until there are ``count`` or the sentinel ``until`` arrives.

    ``until`` is a body (bytes or text), a JSON value given as ``{"json": ...}``, or a predicate on
    the message; the sentinel is taken from the queue but not returned (like ``iter(f, sentinel)``).
    Fails the test, listing what did arrive, when neither happens within ``timeout``.
    """
    if count is None and until is None:
        raise TypeError("consume() needs count=, until= or both")
    real = name(queue)
    target = broker()
    is_sentinel = _sentinel(until)

    def position(inbox):
        for index, message in enumerate(inbox):
            if count is not None and index >= count:
                return None
            if is_sentinel is not None and is_sentinel(message):
                return index
        return None

    def enough(inbox):
        return (count is not None and len(inbox) >= count) or position(inbox) is not None

    if not target.pull(real, enough, timeout):
        inbox = target.inbox.get(real, ())
        wanted = " or ".join(part for part in (
            f"{count} messages" if count is not None else "",
            "the sentinel message" if until is not None else "") if part)
        raise AssertionError(
            f"expected {wanted} on queue {_display(real)} within {timeout:g} s; "
            f"{len(inbox)} arrived" + _summaries(inbox))
    inbox = target.inbox[real]
    stop = position(inbox)
    taken = [inbox.popleft() for _ in range(stop if stop is not None else count)]
    if stop is not None:
        inbox.popleft()  # the sentinel
    return taken


def _sentinel(until):
    if until is None:
        return None
    if callable(until):
        return until
    if isinstance(until, dict) and set(until) == {"json"}:
        return lambda message: not _mismatches(message, json=until["json"])
    return lambda message: not _mismatches(message, body=until)


# -- assert --------------------------------------------------------------------------------------


def assert_received(queue, body=_ANY, *, json=_ANY, headers=None, routing_key=None,
                    properties=None, timeout=DEFAULT_GET_TIMEOUT):
    """Wait until a message matching all the given parts arrives on ``queue``, and return it.

    ``body``: bytes, text, a compiled regex (searched in the text) or a predicate. ``json``: the
    decoded JSON body must equal it. ``headers``: these headers must be present with these values
    (others may exist). ``routing_key``: equal, or a compiled regex. ``properties``: e.g.
    ``{"correlation_id": "42", "content_type": "application/json"}``.

    Messages that do not match stay in the inbox for later calls. On failure the message lists
    what arrived and shows a diff against the closest one.
    """
    real = name(queue)
    target = broker()
    expect = {"body": body, "json": json, "headers": headers, "routing_key": routing_key,
              "properties": properties}

    def index_of_match(inbox):
        return next((i for i, message in enumerate(inbox) if not _mismatches(message, **expect)),
                    None)

    if target.pull(real, lambda inbox: index_of_match(inbox) is not None, timeout):
        inbox = target.inbox[real]
        index = index_of_match(inbox)
        message = inbox[index]
        del inbox[index]
        return message
    inbox = list(target.inbox.get(real, ()))
    wanted = "wanted: " + _describe_expectation(expect)
    if not inbox:
        raise AssertionError(f"no message on queue {_display(real)} within {timeout:g} s"
                             + _queue_state(real) + "\n" + wanted)
    # Fewest mismatches first; among those, the body most like the wanted one.
    scored = sorted(((len(_mismatches(m, **expect)), -_likeness(m, body, json), i, m)
                     for i, m in enumerate(inbox)), key=lambda item: item[:3])
    *_, index, closest = scored[0]
    lines = [f"no matching message on queue {_display(real)} within {timeout:g} s; "
             f"{len(inbox)} arrived", wanted, f"closest is #{index + 1}:"]
    for problem in _mismatches(closest, **expect):
        lines.extend("  " + line for line in problem.splitlines())
    lines.append("arrived:" + _summaries(inbox))
    raise AssertionError("\n".join(lines))


def _describe_expectation(expect):
    parts = []
    for key, value in expect.items():
        if value is _ANY or value is None:
            continue
        parts.append(f"{key}={_short(value)}")
    return ", ".join(parts) or "any message"


def _mismatches(message, body=_ANY, json=_ANY, headers=None, routing_key=None, properties=None):
    """What differs between ``message`` and the expectation, as readable lines (empty: a match)."""
    problems = []
    if body is not _ANY:
        problem = _body_mismatch(message, body)
        if problem:
            problems.append(problem)
    if json is not _ANY:
        try:
            actual = message.json()
        except ValueError:
            problems.append(f"body is not JSON: {_short(message.body)}")
        else:
            if actual != json:
                problems.append("json body differs (- wanted, + received):\n" + _diff(_pretty(json), _pretty(actual)))
    if routing_key is not None:
        if isinstance(routing_key, re.Pattern):
            if not routing_key.search(message.routing_key):
                problems.append(f"routing key {message.routing_key!r} does not match "
                                f"/{routing_key.pattern}/")
        elif message.routing_key != routing_key:
            problems.append(f"routing key: expected {routing_key!r}, got {message.routing_key!r}")
    for key, value in (headers or {}).items():
        if key not in message.headers:
            problems.append(f"header {key!r} missing (expected {value!r}); headers: "
                            f"{_short(message.headers)}")
        elif message.headers[key] != value:
            problems.append(f"header {key!r}: expected {value!r}, got {message.headers[key]!r}")
    for key, value in (properties or {}).items():
        actual = message.properties.get(key)
        if key == "reply_to" and isinstance(actual, str):
            actual = broker().names.logical(actual)
        if actual != value:
            problems.append(f"property {key}: expected {value!r}, got {actual!r}")
    return problems


def _likeness(message, body, json):
    """How close the message's body is to the wanted one, from 0 to 1 (0 when no body is wanted)."""
    if json is not _ANY:
        wanted = _pretty(json)
        try:
            actual = _pretty(message.json())
        except ValueError:
            actual = message.text
    elif isinstance(body, (str, bytes)):
        wanted, actual = body, message.body if isinstance(body, bytes) else message.text
    else:
        return 0
    return difflib.SequenceMatcher(None, wanted, actual).ratio()


def _body_mismatch(message, body):
    if isinstance(body, re.Pattern):
        if not body.search(message.text):
            return f"body does not match /{body.pattern}/: {_short(message.text)}"
    elif callable(body):
        if not body(message):
            return f"body rejected by {getattr(body, '__name__', 'predicate')}: {_short(message.body)}"
    elif isinstance(body, bytes):
        if message.body != body:
            return f"body: expected {_short(body)}, got {_short(message.body)}"
    elif isinstance(body, str):
        if message.text != body:
            if "\n" in body or "\n" in message.text:
                return "body differs (- wanted, + received):\n" + _diff(body, message.text)
            return f"body: expected {body!r}, got {_short(message.text)}"
    else:
        raise TypeError("body= takes bytes, text, a compiled regex or a predicate; use json= for data")
    return None


def _pretty(value):
    return jsonlib.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _diff(expected, actual):
    lines = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "expected", "received",
                                 lineterm="", n=2)
    return "\n".join(list(lines)[2:]) or "(equal text, different bytes)"


def _short(value, limit=120):
    """A one-line rendering: text quoted, bytes decoded when they are UTF-8, long values cut."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _summaries(messages, limit=10):
    lines = []
    for number, message in enumerate(list(messages)[:limit], 1):
        extra = f" headers={_short(message.headers, 60)}" if message.headers else ""
        lines.append(f"  #{number} routing key {message.routing_key!r}{extra} body {_short(message.body, 80)}")
    if len(messages) > limit:
        lines.append(f"  ... and {len(messages) - limit} more")
    return ("\n" + "\n".join(lines)) if lines else ""


def _queue_state(real):
    counts = broker().queue_counts(real)
    if counts is None:
        return "; the queue does not exist on the broker"
    ready, consumers = counts
    return f" (the queue has {ready} ready messages and {consumers} other consumers)"
