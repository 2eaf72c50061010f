"""The experiment behind ``harness doctor --options``, run INSIDE the target interpreter.

Like ``probe.py`` this file is executed as a script, never imported: standard library only,
Python 3.8+, nose imported only inside ``main``. The facts (which options ``nosetests --help``
lists, and who owns them) come from the probe; this script answers one question the probe does
not: is each of those options accepted when nose really runs in the project?

1. nose's own parser, with the project's config files and NOSE_* variables, as ``nosetests``
   builds it: a bad config file makes every option fail, with nose's message.
2. A ``--collect-only`` run in the project, with ``sys.argv`` hidden (``[argv0]``), that captures
   every parser that reads ``sys.argv`` while test modules are imported (optparse, argparse,
   click) with the file and line that called it, and every SystemExit raised at import. Each
   option is then replayed against each captured parser, which is exactly what happens when
   ``nosetests OPTION`` imports that module.

Usage::

    python options_target.py '{"project": DIR, "options": [["-x", []], ["-w", ["."]], ...]}'

Prints one JSON object: ``nose`` ({option: nose's error}), ``foreign`` (each captured parser:
``api``, ``file``, ``line``, ``code``, ``rejects`` {option: its error}), ``exits`` (SystemExit at
import: ``api``, ``file``, ``line``, ``code``, ``exit_code``), ``collect_error``.
"""

import io
import json
import linecache
import os
import sys
import sysconfig
import traceback
import warnings

HERE = os.path.abspath(__file__)


class Rejected(Exception):
    pass


def _raise(msg=None, *args, **kwargs):
    raise Rejected(msg if msg is not None else "rejected")


def _library_dirs():
    import nose
    dirs = {os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")}
    dirs.add(os.path.dirname(os.path.realpath(nose.__file__)) + os.sep)
    for name in ("click", "setuptools", "_distutils_hack"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.add(os.path.dirname(os.path.realpath(module.__file__)) + os.sep)
    return tuple(dirs)


def _is_library(path, dirs):
    """Standard library, nose, the parser packages or this file; not site-packages below them."""
    if path.startswith("<"):
        return True
    real = os.path.realpath(path)
    if real == HERE:
        return True
    for directory in dirs:
        if real.startswith(directory) and "site-packages" not in real[len(directory):]:
            return True
    return False


def _caller(dirs):
    frame = sys._getframe(2)
    while frame is not None:
        if not _is_library(frame.f_code.co_filename, dirs):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return None, None


def nose_rejects(options):
    from nose.config import Config, ConfiguredDefaultsOptionParser, all_config_files
    from nose.plugins.manager import DefaultPluginManager
    env = dict(os.environ)
    files = [] if env.get("NOSE_IGNORE_CONFIG_FILES") else all_config_files()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conf = Config(env=env, files=files, plugins=DefaultPluginManager())
        parser = conf.getParser()
    parser.error = _raise
    parser.exit = _raise
    rejects = {}
    for opt, values in options:
        wrapper = ConfiguredDefaultsOptionParser(parser, conf.configSection, error=_raise,
                                                 file_error=_raise)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrapper.parseArgsAndConfigFiles([opt] + list(values), files)
        except Rejected as exc:
            rejects[opt] = str(exc)
        except Exception as exc:
            rejects[opt] = "%s: %s" % (type(exc).__name__, exc)
    return rejects, parser


def capture_and_collect(nose_parser):
    """Run --collect-only with sys.argv hidden; return (captured parsers, exits, error)."""
    import argparse
    import optparse
    captured, exits = [], []
    dirs = [None]
    busy = [False]

    def note(api, obj, method):
        if busy[0]:
            return
        filename, line = _caller(dirs[0])
        if filename is None:
            return
        captured.append({"api": api, "obj": obj, "method": method, "file": filename,
                         "line": line, "code": linecache.getline(filename, line).strip()})

    original_opt = optparse.OptionParser.parse_args

    def opt_parse_args(self, args=None, values=None):
        if args is None and self is not nose_parser:
            note("optparse", self, "parse_args")
        return original_opt(self, args, values)

    originals = {}
    for method in ("parse_args", "parse_known_args"):
        originals[method] = getattr(argparse.ArgumentParser, method)

    def make(method):
        def wrapper(self, args=None, namespace=None):
            if args is None:
                note("argparse", self, method)
            was, busy[0] = busy[0], True
            try:
                return originals[method](self, args, namespace)
            finally:
                busy[0] = was
        return wrapper

    optparse.OptionParser.parse_args = opt_parse_args
    for method in originals:
        setattr(argparse.ArgumentParser, method, make(method))
    try:
        import click
        command_class = getattr(click, "BaseCommand", None) or click.Command
        original_main = command_class.main

        def click_main(self, args=None, prog_name=None, *rest, **kwargs):
            if args is None:
                note("click", self, prog_name or "nosetests")
            return original_main(self, args, prog_name, *rest, **kwargs)
        command_class.main = click_main
    except ImportError:
        pass
    dirs[0] = _library_dirs()

    from nose.core import TestProgram
    argv0 = sys.argv[0] if sys.argv else "nosetests"
    sys.argv = [argv0]
    error = None
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = io.StringIO()
    try:
        TestProgram(argv=["nosetests", "--collect-only"], exit=False)
    except SystemExit as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        # No frame outside the libraries: nose itself exited (its parser, a config file); the
        # option replay above already reports that.
        place = next((f for f in reversed(frames) if not _is_library(f.filename, dirs[0])), None)
        # The API is named by the frames below the test code's line (nose runs inside
        # unittest's TestProgram, so the frames above it would always say unittest).
        inner = [f.filename for f in frames[frames.index(place) + 1:]] if place else []
        api = ("unittest.main()" if any(os.sep + "unittest" + os.sep in f for f in inner) else
               "setup()" if any("distutils" in f or "setuptools" in f for f in inner) else
               "click" if any(os.sep + "click" + os.sep in f for f in inner) else "sys.exit")
        if place is not None:
            exits.append({"api": api, "file": place.filename, "line": place.lineno,
                          "code": (place.line or "").strip(),
                          "exit_code": exc.code if isinstance(exc.code, (int, type(None)))
                          else str(exc.code).strip().splitlines()[-1]})
    except BaseException as exc:  # noqa: B036 - a test module may raise anything at import
        error = "%s: %s" % (type(exc).__name__, exc)
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return captured, exits, error


def replay(parser, options):
    rejects = {}
    for opt, values in options:
        args = [opt] + list(values)
        api, obj = parser["api"], parser["obj"]
        sink = io.StringIO()
        stderr, sys.stderr = sys.stderr, sink
        try:
            if api == "click":
                ctx = obj.make_context(parser["method"], args)
                ctx.close()
            else:
                obj.error = _raise
                obj.exit = _raise
                getattr(obj, parser["method"])(args)
        except Rejected as exc:
            rejects[opt] = str(exc)
        except SystemExit as exc:
            rejects[opt] = "SystemExit(%r)" % (exc.code,)
        except Exception as exc:
            message = getattr(exc, "format_message", None)
            rejects[opt] = message() if message else "%s: %s" % (type(exc).__name__, exc)
        finally:
            sys.stderr = stderr
    return rejects


def main(argv):
    request = json.loads(argv[1])
    os.chdir(request.get("project") or os.getcwd())
    sys.path.insert(0, os.getcwd())
    options = request["options"]
    out = {"nose": {}, "foreign": [], "exits": [], "collect_error": None}
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        out["nose"], parser = nose_rejects(options)
        captured, out["exits"], out["collect_error"] = capture_and_collect(parser)
        for found in captured:
            rejects = replay(found, options)
            out["foreign"].append({k: found[k] for k in ("api", "file", "line", "code")})
            out["foreign"][-1]["rejects"] = rejects
    except BaseException as exc:  # noqa: B036
        out["collect_error"] = "%s: %s" % (type(exc).__name__, exc)
    finally:
        sys.stdout = real_stdout
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
