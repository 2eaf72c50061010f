"""The live Tornado app under test: build it, serve it on a free loopback port, stop it, and keep
the exceptions its handlers raise.

Where the app comes from (an ``AppSource``):

- a factory, ``"package.module:make_app"``: a callable that receives a ``Services`` (the URLs of the
  run's PostgreSQL and RabbitMQ, and the names the fixture layers published) and returns a
  ``tornado.web.Application``, or an awaitable of one. A factory that takes no argument is called
  without one.
- a YAML route map: a list of ``[path, dotted.Handler]`` pairs, optionally with a mapping of
  ``initialize()`` arguments as a third item::

      - [/health, myapp.handlers.Health]
      - ["/accounts/([0-9]+)", myapp.handlers.Account]
      - [/static/(.*), tornado.web.StaticFileHandler, {path: static}]

  Handlers find the ``Services`` in ``self.settings["services"]``.

Where it runs:

- ``ThreadApp``: in this process, on an asyncio loop of its own in a daemon thread. Starting costs
  a few milliseconds; tests can look at the app's objects.
- ``SubprocessApp``: ``python -m harness.web`` in a child process. The app gets its own interpreter
  (its own globals, signal handlers and event loop), as in production.

Either way the listening socket is bound here, on port 0 of 127.0.0.1, before anything starts, so
the port is known at once and no other process can take it in between (the child inherits the
socket). ``start()`` returns once the app has answered an HTTP request (any status: ``GET /``
by default, ``ready_path``), within ``timeout``; a failure raises ``WebError`` with the reason (for
a child process, its own error or the tail of its output). ``stop()`` stops accepting, closes open
connections, calls the application's ``shutdown()`` method when it has one (close pools there)
and waits for the loop or the process to end. A child also ends by itself when this process dies
without stopping it: its stdin, a pipe from here, closes.

Exceptions that escape a handler (Tornado logs them on ``tornado.application`` and answers 500),
and those of callbacks and tasks on the app's loop, are kept in ``app.errors`` as ``HandlerError``
items; each response's status line, and Tornado's
warnings (the reason given to an ``HTTPError``), are kept as lines in ``app.requests``. Neither goes
to the run's stderr, unless the app sets its own ``log_function`` or logging is configured. ``mark()``
and ``since(mark)`` give what happened in between: the nose plugin attaches it to a failing test.

Without nose::

    from harness.web import AppSource, serve

    with serve(AppSource.parse("myapp.main:make_app")) as app:
        print(app.url)   # http://127.0.0.1:41234
"""

import argparse
import asyncio
import dataclasses
import http.client
import importlib
import inspect
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from harness import config, urls
from harness.errors import FixtureError, WebError
from harness.urls import mask_text

HOST = "127.0.0.1"
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
TAIL_LINES = 30
KEEP_REQUESTS = 1000
PROBE_HEADER = "X-Harness-Readiness-Probe"  # its request is left out of the access lines
_FACTORY_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


@dataclasses.dataclass(frozen=True)
class Services:
    """What an app factory receives: the run's service URLs and published names.

    ``pg_url`` points at the database the app should use (the test database when a fixture layer
    created one), ``amqp_url`` at the broker's vhost. ``names`` maps logical names to the names the
    fixture layers really declared (they are scoped per run, e.g. ``bank.events`` ->
    ``bank.events.r1a2b``); ``name(logical)`` looks one up and falls back to the logical name.
    """

    pg_url: str = None
    amqp_url: str = None
    names: dict = dataclasses.field(default_factory=dict)

    def name(self, logical):
        return self.names.get(logical, logical)

    @classmethod
    def from_config(cls, **overrides):
        """Services from ``harness.config`` (options, setup.cfg [harness], the environment)."""
        pg, amqp = config.pg_url(), config.amqp_url()
        values = {"pg_url": pg.value if pg else None, "amqp_url": amqp.value if amqp else None}
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text):
        return cls(**json.loads(text))


@dataclasses.dataclass(frozen=True)
class HandlerError:
    """An exception that escaped a handler (or a callback on the app's loop)."""

    summary: str  # "Uncaught exception GET /boom (127.0.0.1)"
    text: str  # the summary, the request and the traceback

    def __str__(self):
        return self.text


# -- where the app comes from ----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AppSource:
    """A factory spec (``"pkg.mod:make_app"`` or a callable) or a routes file; exactly one."""

    factory: object = None
    routes: Path = None

    def __post_init__(self):
        if (self.factory is None) == (self.routes is None):
            raise WebError("give either an app factory or a routes file, not both or neither",
                           fix="use --tornado-app=package.module:factory or "
                               "--tornado-routes=routes.yaml")
        if isinstance(self.factory, str) and not _FACTORY_SPEC.fullmatch(self.factory):
            raise WebError(f"app factory {self.factory!r} is not of the form "
                           "'package.module:factory'",
                           fix="name the module and the callable, e.g. examples.bank.app:make_app")
        if self.routes is not None and not self.routes.is_file():
            raise WebError("the routes file does not exist", file=str(self.routes),
                           fix="check the path (a declared tornado_routes is relative to its "
                               "test module)")

    @classmethod
    def parse(cls, factory=None, routes=None, base_dir=None):
        """Build a source from option or attribute values; relative routes resolve in base_dir."""
        if routes is not None:
            routes = Path(base_dir or ".", routes).resolve()
        return cls(factory=factory, routes=routes)

    def describe(self):
        if self.routes is not None:
            return f"routes {self.routes}"
        if isinstance(self.factory, str):
            return self.factory
        return f"{self.factory.__module__}:{self.factory.__qualname__}"

    def spawn_args(self):
        """The command-line form, for the child process."""
        if self.routes is not None:
            return ["--routes", str(self.routes)]
        if isinstance(self.factory, str):
            return ["--app", self.factory]
        return ["--app", self.describe()]

    async def build(self, services):
        """Make the Application; call on the loop that will serve it."""
        import tornado.web

        if self.routes is not None:
            return tornado.web.Application(load_routes(self.routes), services=services)
        factory = load_factory(self.factory) if isinstance(self.factory, str) else self.factory
        where = self.describe()
        try:
            wants_services = bool(inspect.signature(factory).parameters)
        except (TypeError, ValueError):  # builtins and some C callables have no signature
            wants_services = True
        try:
            app = factory(services) if wants_services else factory()
            if inspect.isawaitable(app):
                app = await app
        except WebError:
            raise
        except Exception as error:
            secrets = [urls.parts(url)[2] for url in (services.pg_url, services.amqp_url) if url]
            raise WebError(mask_text(f"the app factory {where} raised {type(error).__name__}: "
                                     f"{error}", *secrets),
                           detail=mask_text(_user_traceback(error), *secrets),
                           fix="the traceback above is from your factory") from None
        if not isinstance(app, tornado.web.Application):
            raise WebError(f"the app factory {where} returned {type(app).__name__}, "
                           "not a tornado.web.Application",
                           fix="return the Application (build it with your routes and settings)")
        return app


def load_factory(spec):
    """Import ``"package.module:callable"`` and return the callable."""
    module_name, _, attr = spec.partition(":")
    module = _import(module_name, what=f"the module of app factory {spec!r}")
    target = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            public = sorted(name for name, value in vars(module).items()
                            if callable(value) and not name.startswith("_"))
            raise WebError(f"module {module_name} has no attribute {attr!r}",
                           fix="callables there: " + (", ".join(public) or "none")) from None
    if not callable(target):
        raise WebError(f"app factory {spec!r} is a {type(target).__name__}, not a callable",
                       fix="point at a function that returns a tornado.web.Application")
    return target


def load_routes(path):
    """Read a YAML route map into Tornado rules; every error names the file and line."""
    import tornado.web

    from harness.fixtures import yamlfile

    try:
        data = yamlfile.load(path)
    except FixtureError as error:
        raise WebError(error.message, file=error.file, line=error.line, detail=error.detail,
                       fix=error.fix) from None
    shape = "a list of [path, dotted.Handler] pairs"
    if not isinstance(data, list) or not data:
        raise WebError(f"a routes file must be {shape}", file=str(path),
                       line=getattr(data, "line", 1), fix="e.g.  - [/health, myapp.handlers.Health]")
    rules = []
    for index, item in enumerate(data):
        line = data.line_of(index)
        if not isinstance(item, list) or len(item) not in (2, 3):
            raise WebError(f"route {index + 1} must be [path, dotted.Handler] or "
                           "[path, dotted.Handler, {initialize arguments}]", file=str(path),
                           line=line, detail=f"got: {item!r}")
        pattern, dotted = item[0], item[1]
        kwargs = item[2] if len(item) == 3 else {}
        if not isinstance(pattern, str) or not pattern.startswith("/"):
            raise WebError(f"route path {pattern!r} must be a string starting with /",
                           file=str(path), line=line)
        try:
            re.compile(pattern)
        except re.error as error:
            raise WebError(f"route path {pattern!r} is not a valid regular expression: {error}",
                           file=str(path), line=line) from None
        if not isinstance(kwargs, dict):
            raise WebError("the third item of a route must be a mapping of initialize() arguments",
                           file=str(path), line=line, detail=f"got: {kwargs!r}")
        handler = _load_handler(dotted, file=str(path), line=line)
        if not (isinstance(handler, type) and issubclass(handler, tornado.web.RequestHandler)):
            raise WebError(f"{dotted} is not a tornado.web.RequestHandler subclass",
                           file=str(path), line=line,
                           fix="name a RequestHandler class, e.g. myapp.handlers.Health")
        rules.append((pattern, handler, dict(kwargs)))
    return rules


def _load_handler(dotted, file, line):
    if not isinstance(dotted, str) or "." not in dotted.strip("."):
        raise WebError(f"handler {dotted!r} must be a dotted path, package.module.Handler",
                       file=file, line=line)
    module_name, _, name = dotted.rpartition(".")
    module = _import(module_name, what=f"the module of handler {dotted}", file=file, line=line)
    try:
        return getattr(module, name)
    except AttributeError:
        handlers = sorted(key for key, value in vars(module).items()
                          if isinstance(value, type) and not key.startswith("_"))
        raise WebError(f"module {module_name} has no handler {name!r}", file=file, line=line,
                       fix="classes there: " + (", ".join(handlers) or "none")) from None


def _import(module_name, what, file=None, line=None):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise WebError(f"cannot import {what}: no module named {error.name!r}",
                           file=file, line=line,
                           fix="check the spelling, and that the project directory is on "
                               "sys.path (run nose from the project directory)") from None
        raise WebError(f"importing {module_name} (for {what}) failed: {error}", file=file,
                       line=line, detail=_user_traceback(error)) from None
    except Exception as error:
        raise WebError(f"importing {module_name} (for {what}) raised {type(error).__name__}: "
                       f"{error}", file=file, line=line, detail=_user_traceback(error)) from None


def _user_traceback(error):
    """The traceback of an error in user code, without the harness's own frames."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not frame.filename.startswith(str(Path(__file__).parent))
              and "importlib._bootstrap" not in frame.filename]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip()


# -- running it ------------------------------------------------------------------------------------

class LiveApp:
    """A served app: ``url``, ``port``, ``errors``; ``start()``, ``stop()``, context manager."""


    def __init__(self, source, services=None, *, ready_path="/", timeout=READY_TIMEOUT):
        self.source = source
        self.services = services if services is not None else Services.from_config()
        self.ready_path = ready_path
        self.timeout = timeout
        self.port = None
        self._errors = []
        self._requests = []  # access-log lines, the oldest trimmed past KEEP_REQUESTS
        self._requests_trimmed = 0

    @property
    def url(self):
        """The base URL, without a trailing slash: ``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def errors(self):
        """Every ``HandlerError`` so far."""
        self._collect()
        return list(self._errors)

    @property
    def requests(self):
        """The latest access lines and warnings, e.g. ``404 GET /accounts/9 (1.2 ms)``."""
        self._collect()
        return list(self._requests)

    def mark(self):
        """A bookmark for ``since``: how many errors and requests there have been."""
        self._collect()
        return len(self._errors), self._requests_trimmed + len(self._requests)

    def since(self, mark):
        """(handler errors, access-log lines) after ``mark``."""
        self._collect()
        errors, requests = mark
        return self._errors[errors:], self._requests[max(requests - self._requests_trimmed, 0):]

    def _collect(self):
        """Bring in what the app reported from elsewhere (the child process)."""

    def _add_request(self, line):
        self._requests.append(line)
        if len(self._requests) > 2 * KEEP_REQUESTS:
            del self._requests[:KEEP_REQUESTS]
            self._requests_trimmed += KEEP_REQUESTS

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        where = self.url if self.port else "not started"
        return f"<{type(self).__name__} {self.source.describe()} at {where}>"

    def _bind(self):
        from tornado.netutil import bind_sockets

        sock, = bind_sockets(0, HOST, family=socket.AF_INET)
        self.port = sock.getsockname()[1]
        return sock

    def _answers(self, deadline, alive=lambda: None):
        """Wait until GET ready_path gets any HTTP response; return None or the last failure."""
        delay, failure = 0.005, "no answer"
        while True:
            problem = alive()
            if problem:
                return problem
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"no HTTP answer within {self.timeout:g}s ({failure})"
            connection = http.client.HTTPConnection(HOST, self.port, timeout=min(remaining, 1.0))
            try:
                connection.request("GET", self.ready_path,
                                   headers={"Connection": "close", PROBE_HEADER: "1"})
                connection.getresponse().read()
                return None
            except (OSError, http.client.HTTPException) as error:
                failure = f"{type(error).__name__}: {error}"
            finally:
                connection.close()
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, 0.1)


# How RequestHandler.log_exception logs an HTTPError's reason: "%d %s: %s" since tornado 6.5,
# "%d %s: " + log_message before.
_HTTP_ERROR_LOG = "%d %s: "


class _LogCollector(logging.Handler):
    """Keeps what Tornado logs on the app's thread: exceptions, and warnings such as 4xx reasons.

    Records from other threads pass untouched (they still propagate to the root logger).
    """

    def __init__(self, thread_id, on_error, on_request, reasons):
        super().__init__(logging.WARNING)
        self.thread_id = thread_id
        self.on_error = on_error
        self.on_request = on_request
        self.reasons = reasons
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record):
        if record.thread != self.thread_id:
            return
        if record.exc_info and record.levelno >= logging.ERROR:
            self.on_error(HandlerError(record.getMessage().splitlines()[0], self.format(record)))
        elif str(record.msg).startswith(_HTTP_ERROR_LOG) and len(record.args or ()) >= 2:
            # HTTPError(404, "no account 9"): the reason joins the response's status line.
            status, summary = record.args[:2]
            self.reasons[(status, summary)] = record.getMessage()[len(f"{status} {summary}: "):]
        else:
            self.on_request(f"{record.levelname.lower()}: {record.getMessage()}")


def _loop_exception_handler(sink):
    """Keep exceptions from tasks and callbacks on the app's loop as handler errors too.

    They are kept instead of printed, like handler exceptions: a failing test shows them.
    """
    def handle(loop, context):
        error = context.get("exception")
        text = context.get("message", "unhandled exception on the app's loop")
        if error is not None:
            text += "\n" + "".join(traceback.format_exception(type(error), error,
                                                              error.__traceback__)).rstrip()
        sink(HandlerError(context.get("message", "unhandled exception"), text))
    return handle


def _request_recorder(on_request, reasons):
    """An output transform that reports each response's status line as it is sent.

    A transform sees the status before the first byte leaves, so a test that has its response
    also has the line; Tornado's log_function runs only after the response is written.
    """
    from tornado.web import OutputTransform

    class RequestRecorder(OutputTransform):
        def __init__(self, request):
            self.request = request

        def transform_first_chunk(self, status_code, headers, chunk, finishing):
            request = self.request
            summary = f"{request.method} {request.uri} ({request.remote_ip})"
            reason = reasons.pop((status_code, summary), None)
            if PROBE_HEADER not in request.headers:
                on_request(f"{status_code} {request.method} {request.uri} "
                           f"({1000 * request.request_time():.1f} ms)"
                           + (f": {reason}" if reason else ""))
            return status_code, headers, chunk

        def transform_chunk(self, chunk, finishing):
            return chunk

    return RequestRecorder


def _quiet(handler):
    """The access log_function for apps without one: the lines go with failures instead."""


async def _serve(source, services, sockets, started, stopping, on_error, on_request):
    """Build the app, serve it on ``sockets`` until ``stopping`` is set, then shut it down."""
    from tornado.httpserver import HTTPServer

    asyncio.get_running_loop().set_exception_handler(_loop_exception_handler(on_error))
    reasons = {}  # (status, request summary) -> the reason an HTTPError gave
    collector = _LogCollector(threading.get_ident(), on_error, on_request, reasons)
    logging.getLogger("tornado").addHandler(collector)
    try:
        app = await source.build(services)
        # Access lines go with a failing test's output rather than onto the run's stderr; an
        # app with its own log_function keeps it.
        app.transforms.append(_request_recorder(on_request, reasons))
        app.settings.setdefault("log_function", _quiet)
        server = HTTPServer(app)
        server.add_sockets(sockets)
        started()
        await stopping.wait()
        server.stop()
        try:
            await asyncio.wait_for(server.close_all_connections(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            pass  # a stuck request must not keep the run from ending
        shutdown = getattr(app, "shutdown", None)
        if callable(shutdown):
            result = shutdown()
            if inspect.isawaitable(result):
                await result
    finally:
        logging.getLogger("tornado").removeHandler(collector)


class ThreadApp(LiveApp):
    """The app on its own asyncio loop in a daemon thread of this process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._thread = None
        self._loop = None
        self._stopping = None
        self._failure = None

    def start(self):
        sock = self._bind()
        ready = threading.Event()

        async def main():
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            await _serve(self.source, self.services, [sock], ready.set, self._stopping,
                         self._errors.append, self._add_request)

        def run():
            try:
                asyncio.run(main())
            except BaseException as error:  # reported by start() or stop()
                self._failure = error
            finally:
                sock.close()
                ready.set()

        self._thread = threading.Thread(target=run, name=f"tornado-app:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.timeout
        if not ready.wait(self.timeout):
            self._stop_thread()
            raise WebError(f"the app {self.source.describe()} did not start within "
                           f"{self.timeout:g}s", fix="look for blocking calls in the factory")
        problem = self._answers(deadline, self._thread_problem)
        if problem:
            failure = self._stop_thread()
            if isinstance(failure, WebError):
                raise failure.with_traceback(None)
            raise WebError(f"the app {self.source.describe()} did not answer HTTP on {self.url}: "
                           f"{problem}", detail=_user_traceback(failure) if failure else None,
                           fix="look for blocking calls in the factory or handlers")
        return self

    def _thread_problem(self):
        if self._failure is not None:
            return f"{type(self._failure).__name__}: {self._failure}"
        if not self._thread.is_alive():
            return "the app's thread ended"
        return None

    def _stop_thread(self):
        """Ask the loop to stop, wait for the thread; return what it failed with, if anything."""
        if self._thread is None:
            return None
        if self._loop is not None and self._stopping is not None:
            try:
                self._loop.call_soon_threadsafe(self._stopping.set)
            except RuntimeError:
                pass  # the loop already closed
        self._thread.join(STOP_TIMEOUT + 1)
        self._thread = None
        failure, self._failure = self._failure, None
        return failure

    def stop(self):
        failure = self._stop_thread()
        if failure is not None:
            if isinstance(failure, WebError):
                raise failure.with_traceback(None)
            raise WebError(f"the app {self.source.describe()} failed while stopping: "
                           f"{type(failure).__name__}: {failure}",
                           detail=_user_traceback(failure))


class SubprocessApp(LiveApp):
    """The app in a child process (``python -m harness.web``) that inherits the bound socket."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._process = None
        self._workdir = None
        self._reports_read = 0
        self._failure = None  # the WebError the child reported, as keyword arguments

    def start(self):
        sock = self._bind()
        self._workdir = tempfile.TemporaryDirectory(prefix="harness-web-")
        output = Path(self._workdir.name, "output.log")
        reports = Path(self._workdir.name, "reports.jsonl")
        reports.touch()
        # A 0600 file, not an argument: anyone can read a command line, and the URLs hold
        # passwords. The directory is the child's own (0700) and goes when the app stops.
        services = Path(self._workdir.name, "services.json")
        fd = os.open(services, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.services.to_json())
        env = dict(os.environ)
        # The child imports what this process can: the app's package may be on sys.path only
        # because nose put it there.
        env["PYTHONPATH"] = os.pathsep.join(entry or os.getcwd() for entry in sys.path)
        env["PYTHONUNBUFFERED"] = "1"
        command = [sys.executable, "-m", "harness.web", *self.source.spawn_args(),
                   "--fd", str(sock.fileno()), "--reports", str(reports),
                   "--services-file", str(services)]
        with output.open("wb") as out:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=[sock.fileno()], env=env, start_new_session=True)
        # From here the child owns the socket: if it dies, clients are refused at once.
        sock.close()
        problem = self._answers(time.monotonic() + self.timeout, self._process_problem)
        if problem:
            tail = self.output_tail()
            self._collect()
            failure = self._failure
            self.stop()
            if failure is not None:  # the child's own WebError: the same message as a thread's
                raise WebError(**failure)
            raise WebError(f"the app {self.source.describe()} did not answer HTTP on "
                           f"{self.url}: {problem}",
                           detail=f"last lines of its output:\n{tail}" if tail else "no output",
                           fix="the child's output above says why")
        return self

    def _process_problem(self):
        code = self._process.poll()
        if code is None:
            return None
        return f"the app process exited with status {code} before answering"

    def output_tail(self, lines=TAIL_LINES):
        """The last lines of the child's stdout and stderr, passwords masked."""
        if self._workdir is None:
            return ""
        try:
            text = Path(self._workdir.name, "output.log").read_text(errors="replace")
        except OSError:
            return ""
        return mask_text("\n".join(text.rstrip().splitlines()[-lines:]))

    def _collect(self):
        """Read what the child reported since the last look."""
        if self._workdir is None:
            return
        with Path(self._workdir.name, "reports.jsonl").open("rb") as handle:
            handle.seek(self._reports_read)
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # the child is still writing this one
                self._reports_read += len(line)
                report = json.loads(line)
                if "error" in report:
                    self._errors.append(HandlerError(**report["error"]))
                elif "request" in report:
                    self._add_request(report["request"])
                else:
                    self._failure = report["failure"]

    def stop(self):
        if self._process is None:
            return
        self._collect()  # keep what the child reported before its files go
        process, self._process = self._process, None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdin:
            process.stdin.close()
        self._workdir.cleanup()
        self._workdir = None


MODES = {"thread": ThreadApp, "subprocess": SubprocessApp}


def serve(source, services=None, mode="thread", **options):
    """Start ``source`` in ``mode`` ("thread" or "subprocess") and return the running LiveApp."""
    try:
        kind = MODES[mode]
    except KeyError:
        raise WebError(f"unknown mode {mode!r}", fix="use thread or subprocess") from None
    return kind(source, services, **options).start()


# -- the child process -----------------------------------------------------------------------------

def _child(argv=None):
    parser = argparse.ArgumentParser(prog="python -m harness.web",
                                     description="Serve a Tornado app on an inherited socket.")
    parser.add_argument("--app")
    parser.add_argument("--routes")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--reports", required=True)
    parser.add_argument("--services-file", help="a JSON file holding the Services")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sock = socket.socket(fileno=args.fd)
    sock.setblocking(False)
    orphaned = []

    def report(**item):
        # One line per write, flushed: the parent reads the file while the child runs.
        reports.write(json.dumps(item) + "\n")
        reports.flush()

    async def main():
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stopping.set)
        loop.add_signal_handler(signal.SIGINT, stopping.set)

        def parent_gone():
            # stdin is a pipe from the parent: end of file means the parent is gone.
            if not os.read(0, 4096):
                loop.remove_reader(0)
                orphaned.append(True)
                stopping.set()
        loop.add_reader(0, parent_gone)
        services = (Services.from_json(Path(args.services_file).read_text(encoding="utf-8"))
                    if args.services_file else Services())
        await _serve(AppSource.parse(args.app, args.routes), services,
                     [sock], lambda: None, stopping,
                     lambda error: report(error=dataclasses.asdict(error)),
                     lambda line: report(request=line))

    with open(args.reports, "a", encoding="utf-8") as reports:
        try:
            asyncio.run(main())
        except WebError as error:
            print(error.render(), file=sys.stderr)
            report(failure={"message": error.message, "file": error.file, "line": error.line,
                            "fix": error.fix, "detail": error.detail})
            return 2
    if orphaned:  # nobody is left to read or remove the files the parent made for this app
        shutil.rmtree(Path(args.reports).parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
