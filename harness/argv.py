"""Foreign argv parsers during collection: detection and isolation.

nose imports test modules in the middle of its own run, long after it parsed its command line. A
module that parses ``sys.argv`` at import time (an ``OptionParser().parse_args()``, an argparse or
click command line, ``unittest.main()``, a ``setup()`` call) sees nose's arguments, and its error
is printed with nose's program name: ``nosetests: error: no such option: -x`` looks byte for byte
like nose's own error although nose accepted ``-x``.

``Guard`` finds those parsers at the moment they run. While a test module is imported
(``Guard.importing(filename)``), ``sys.argv`` is replaced by a list that records who reads the
arguments after ``argv[0]``. The reader is named by the library frame the test code called
(optparse, argparse, getopt, click, unittest.main, setup(), ...) and located by the first frame
outside those libraries: the line of the test code that called the parser. One mechanism covers
every parser, including those the guard has never heard of, costs nothing when nobody reads
``sys.argv``, and imports no parser library. A ``SystemExit`` that escapes the import is recorded
with the place it was raised from.

With ``isolate=True`` the module sees ``sys.argv == [argv0]`` instead of nose's arguments, and a
``SystemExit`` at import becomes an ordinary import error (``ForeignExit``) of that module, so that
the rest of the run goes on.

Events go to a callback (the plugin prints them) and, as JSON lines, to an optional file that
``harness run`` reads after the run, even when the run was cut short by the ``SystemExit``.

This module never imports nose; it is used and tested without it::

    guard = Guard(on_event=print)
    with guard.importing("tests/test_cli.py"):
        import tests.test_cli
"""

import linecache
import os
import sys
import threading
from contextlib import contextmanager

# The parser APIs the guard names, by the module that reads sys.argv on their behalf.
_STDLIB_APIS = {
    "optparse": "optparse",
    "argparse": "argparse",
    "getopt": "getopt",
    "unittest.main": "unittest.main()",
    "distutils.core": "setup()",
    "distutils.dist": "setup()",
}
# Third-party packages, by top-level package name.
_PACKAGE_APIS = {
    "click": "click",
    "typer": "typer",
    "setuptools": "setup()",
    "_distutils_hack": "setup()",
    "docopt": "docopt",
    "fire": "fire",
    "absl": "absl.flags",
    "gflags": "gflags",
}
PARSER_APIS = frozenset(_STDLIB_APIS.values()) | frozenset(_PACKAGE_APIS.values())

# Where the standard library lives; os.py is in it (sysconfig would cost more than the guard).
_STDLIB_DIRS = (os.path.realpath(os.path.dirname(os.__file__)) + os.sep,)

FIXES = {
    "unittest.main()": "call unittest.main() only under `if __name__ == '__main__':`",
    "setup()": "call setup() only in setup.py, under `if __name__ == '__main__':`, and keep it "
               "out of the test modules",
    "sys.exit": "do not call sys.exit() or raise SystemExit when the module is imported",
}
_PARSER_FIX = ("parse the command line only under `if __name__ == '__main__':` (or pass the "
               "arguments explicitly, e.g. parse_args([]))")
_ISOLATE_HINT = ("; to run anyway, hide nose's arguments with `harness run --isolate` or "
                 "`nosetests --argv-isolate`")


def fix_for(api, isolated=False):
    """The one-line fix for a foreign reader of ``sys.argv``."""
    if api in FIXES:
        return FIXES[api]
    return _PARSER_FIX if isolated else _PARSER_FIX + _ISOLATE_HINT


class Event:
    """Something a test module did to nose's command line while it was imported.

    kind: ``"parse"`` (a parser read sys.argv), ``"read"`` (plain code read the arguments) or
    ``"exit"`` (SystemExit escaped the import). ``file``/``line``/``code`` locate the calling test
    code; ``module`` is the file nose was importing. (A plain class: every nose run in an install
    with the harness imports this module, and a dataclass costs milliseconds to build.)
    """

    FIELDS = ("kind", "api", "file", "line", "code", "module", "argv", "isolated", "exit_code")

    def __init__(self, kind, api, file, line, code="", module="", argv=(), isolated=False,
                 exit_code=None):
        self.kind, self.api, self.file, self.line = kind, api, file, line
        self.code, self.module, self.argv = code, module, list(argv)
        self.isolated, self.exit_code = isolated, exit_code

    def __repr__(self):
        return f"Event({self.kind!r}, {self.api!r}, {self.file!r}, {self.line!r})"

    def describe(self):
        """One line for the terminal."""
        importing = f" while importing {short_path(self.module)}" if self.module else ""
        if self.kind == "exit":
            by = f" ({self.api})" if self.api != "sys.exit" else ""
            outcome = ("it became an error of that module" if self.isolated
                       else "the run stops here")
            return (f"SystemExit({exit_text(self.exit_code)}) raised at "
                    f"{short_path(self.file)}:{self.line}"
                    f"{by}{importing}: {outcome}")
        seen = "[] (isolated)" if self.isolated else (" ".join(self.argv) or "(no arguments)")
        what = f"{self.api} parses" if self.kind == "parse" else "code reads"
        return (f"{what} nose's command line at {short_path(self.file)}:{self.line}"
                f"{importing}; it sees: {seen}")

    def to_json(self):
        return {name: getattr(self, name) for name in self.FIELDS}


class ForeignExit(Exception):
    """A test module raised SystemExit while being imported; the guard made it an import error."""

    def __init__(self, event):
        super().__init__(f"{event.describe()}\n  fix: {fix_for(event.api, True)}")
        self.event = event


def exit_text(code):
    """SystemExit's code for one line: a message argument is cut to its last line."""
    if isinstance(code, str):
        lines = [line for line in code.strip().splitlines() if line.strip()]
        return repr(lines[-1] if lines else code)
    if isinstance(code, bool):  # unittest.main() exits with `not wasSuccessful()`
        return repr(int(code))
    return repr(code)


def short_path(path):
    """``path`` relative to the current directory when it is below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith(".." + os.sep) else relative


def _api_of(frame_file, module_name):
    """The parser API a frame belongs to, '' for other library code, None for user code."""
    if module_name in _STDLIB_APIS:
        return _STDLIB_APIS[module_name]
    top = (module_name or "").split(".")[0]
    if top in _PACKAGE_APIS:
        return _PACKAGE_APIS[top]
    if module_name == __name__ or frame_file.startswith("<frozen"):
        return ""
    if os.path.realpath(frame_file).startswith(_STDLIB_DIRS) and "site-packages" not in frame_file:
        return ""
    return None


def _locate(frames):
    """(api, file, line) for frames listed innermost first: the API of the library frame next to
    the user code (unittest.main(), not the argparse it calls), and the first user frame outside
    the libraries."""
    api = None
    for filename, lineno, module_name in frames:
        kind = _api_of(filename, module_name)
        if kind is None:
            return api, filename, lineno
        if kind:
            api = kind
    filename, lineno, _ = frames[0]
    return api, filename, lineno


def _is_own(module_name):
    top = (module_name or "").split(".")[0]
    return top in ("nose", "harness")


class _WatchedArgv(list):
    """sys.argv during an import: records reads of the arguments after argv[0]."""

    def __init__(self, items, guard):
        super().__init__(items)
        self._guard = guard

    def _seen(self):
        self._guard._read(sys._getframe(2))

    def __getitem__(self, index):
        if isinstance(index, slice):
            # argv[1:] is a read even when it is empty: the parser would see nose's arguments.
            start, stop = index.start or 0, index.stop
            if start != 0 or stop is None or stop < 0 or stop > 1:
                self._seen()
        elif index != 0:
            self._seen()
        return super().__getitem__(index)

    def __iter__(self):
        self._seen()
        return super().__iter__()

    def __len__(self):
        self._seen()
        return super().__len__()

    def __contains__(self, item):
        self._seen()
        return super().__contains__(item)

    def index(self, *args):
        self._seen()
        return super().index(*args)

    def count(self, item):
        self._seen()
        return super().count(item)

    def copy(self):
        self._seen()
        return list(super().__iter__())


class Guard:
    """Watches test-module imports for readers of ``sys.argv`` and for SystemExit.

    on_event: called with each new ``Event`` (deduplicated by kind, API and place).
    events_path: a file that receives one JSON object per event, written as it happens.
    isolate: present ``[argv0]`` to the imported code, and turn SystemExit into ``ForeignExit``.
    """

    def __init__(self, *, isolate=False, on_event=None, events_path=None):
        self.isolate = isolate
        self.on_event = on_event
        self.events_path = events_path
        self.events = []
        self._seen = set()
        self._local = threading.local()

    def start(self, argv=None):
        """Record that collection starts with nose's arguments (``harness run`` relies on it to
        know that nose's own parser accepted the command line)."""
        argv = list(sys.argv if argv is None else argv)
        self._write({"kind": "armed", "argv": argv[1:], "isolate": self.isolate,
                     "python": sys.executable})

    @contextmanager
    def importing(self, filename):
        """Watch one test-module import."""
        if getattr(self._local, "module", None) is not None:
            yield  # a nested import inside an import being watched
            return
        original = sys.argv
        shown = [original[0]] if (self.isolate and original) else list(original)
        watched = _WatchedArgv(shown, self)
        self._local.module = filename
        self._local.original = original
        sys.argv = watched
        try:
            yield
        except SystemExit as exc:
            event = self._exit_event(exc, filename)
            if self.isolate:
                # Keep the frames down to the exit, so the error shows the test code's line.
                raise ForeignExit(event).with_traceback(exc.__traceback__) from None
            raise
        finally:
            self._local.module = None
            if sys.argv is watched:
                if not self.isolate:
                    original[:] = list.__iter__(watched)
                sys.argv = original

    def _read(self, frame):
        module = getattr(self._local, "module", None)
        if module is None or _is_own(frame.f_globals.get("__name__")):
            return
        frames = []
        while frame is not None:
            frames.append((frame.f_code.co_filename, frame.f_lineno,
                           frame.f_globals.get("__name__")))
            frame = frame.f_back
        api, filename, lineno = _locate(frames)
        kind = "parse" if api in PARSER_APIS else "read"
        self._record(Event(kind, api or "sys.argv", filename, lineno, module=module,
                           argv=list(self._local.original[1:]), isolated=self.isolate))

    def _exit_event(self, exc, module):
        frames = []
        tb = exc.__traceback__
        while tb is not None:
            frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno,
                           tb.tb_frame.f_globals.get("__name__")))
            tb = tb.tb_next
        frames.reverse()
        # Skip the guard's own frame (the `yield` above) and the importer's frames around it.
        frames = [f for f in frames if not _is_own(f[2])] or frames
        api, filename, lineno = _locate(frames)
        event = Event("exit", api or "sys.exit", filename, lineno, module=module,
                      argv=list(self._local.original[1:]), isolated=self.isolate,
                      exit_code=exc.code if isinstance(exc.code, (int, str, type(None)))
                      else repr(exc.code))
        self._record(event, dedupe=False)
        return event

    def _record(self, event, dedupe=True):
        key = (event.kind, event.api, event.file, event.line)
        if dedupe and key in self._seen:
            return
        self._seen.add(key)
        event.code = linecache.getline(event.file, event.line).strip()
        self.events.append(event)
        self._write(event.to_json())
        if self.on_event is not None:
            self.on_event(event)

    def _write(self, record):
        if not self.events_path:
            return
        import json
        with open(self.events_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def read_events(path):
    """The records a guard wrote to ``path``: (armed record or None, [Event, ...])."""
    import json
    armed, events = None, []
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None, []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed process
        if record.get("kind") == "armed":
            armed = record
        else:
            events.append(Event(**record))
    return armed, events
