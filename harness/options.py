"""Why nose rejected an option, or a directory, and where the bad value came from.

nose's messages name the symptom: ``no such option: -x``, ``ambiguous option: --cov``, a
``ValueError`` traceback for ``-w /missing``, ``Error reading config file 'setup.cfg'``. This module
turns such a failure into findings that name the cause:

* an option unknown to this install, a typo (with the closest options), an abbreviation that a
  plugin made ambiguous, an option whose plugin failed to load, was disabled by nose (and why), or
  is installed for another interpreter;
* an option or value injected by a config file (file and line) or a ``NOSE_*`` variable,
  including a value that crashes nose or a plugin after parsing (a bad regular expression, a
  plugin's ``int()``), named by the value its exception quotes;
* ``-w`` problems: a missing directory, a file, several ``-w`` (and a later one that is missing),
  a multi-line ``where =``;
* an error that came from a parser other than nose's, found by the argv guard (``harness.argv``).

Facts about the target install come from the doctor's probe (``harness.doctor.target``): the
options of the real parser with their owners, the plugins and why some are disabled, the entry
points that failed to load, the config chain. Nothing here imports nose.
"""

import difflib
import glob
import optparse
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from harness import argv as argv_guard
from harness import inifile

NOSE_ERROR = re.compile(r"^(?P<prog>\S+): error: (?P<message>.+)$")
# re.S: a multi-line `where =` is one value, with its newlines, in nose's message
WHERE_ERROR = re.compile(r"^ValueError: Working directory '(?P<path>.*?)' not found, or not a "
                         r"directory", re.S | re.M)
RAN = re.compile(r"^Ran \d+ tests? in ")
CONFIG_ERROR = re.compile(r"Error reading config file '(?P<file>[^']*)': (?P<rest>.*)$")
SEVERITY = {"where-several": "warning"}  # the run goes on; every other cause broke it


@dataclass
class Finding:
    """One explained cause. ``cause`` is a stable key; in JSON it is the id ``run.<cause>``, in
    the doctor's finding shape (see ``harness.commands.run``)."""

    cause: str
    message: str
    file: str = None
    line: int = None
    fix: str = None
    detail: str = None
    origin: str = "nose"  # nose | foreign | config | env | collection

    @property
    def where(self):
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def render(self):
        head = f"{self.where}: {self.message}" if self.where else self.message
        lines = [head]
        if self.detail:
            lines.extend("  " + line for line in self.detail.rstrip().splitlines())
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)

    def to_json(self):
        return {"id": f"run.{self.cause}", "severity": SEVERITY.get(self.cause, "error"),
                "title": self.message, "evidence": (self.detail or "").splitlines(),
                "fix": self.fix, "family": "run", "origin": self.origin, "file": self.file,
                "line": self.line}


def parse_error(stderr_text):
    """``(prog, message)`` of the last ``PROG: error: MESSAGE`` line, or None."""
    for line in reversed(stderr_text.splitlines()):
        match = NOSE_ERROR.match(line.strip())
        if match:
            return match.group("prog"), match.group("message")
    return None


def _stopped_the_run(stderr_text):
    """Did the last ``PROG: error:`` line end the run? Not when nose's summary (``Ran N tests``)
    follows it, unless a test died of it: a SystemExit traceback after the error line."""
    lines = stderr_text.splitlines()
    last = max((i for i, line in enumerate(lines) if NOSE_ERROR.match(line.strip())), default=-1)
    after = lines[last + 1:]
    if not any(RAN.match(line) for line in after):
        return True
    return any(line.startswith("SystemExit") for line in after)


# ----------------------------------------------------------------------------- the install

class Install:
    """What the target's nose parser knows, from the probe's ``nose`` and ``config`` facts."""

    def __init__(self, facts, python=None):
        self.nose = facts.get("nose") or {}
        self.config = facts.get("config") or {}
        self.interp = facts.get("interp") or {}
        self.python = python or self.interp.get("executable")
        self.options = self.nose.get("options", [])
        self.strings = [s for option in self.options for s in option["opts"]]

    @property
    def version(self):
        return (self.nose.get("import") or {}).get("version")

    def owner(self, opt):
        for option in self.options:
            if opt in option["opts"]:
                return option.get("owner")
        return None

    def parser(self):
        """An optparse parser with the target's options, for parsing in this process."""
        parser = _Parser(prog="nosetests", add_help_option=False, conflict_handler="resolve")
        for option in self.options:
            action = option["action"]
            kwargs = {"dest": option["dest"] or option["opts"][-1].lstrip("-").replace("-", "_")}
            if action in ("help", "version") or (action == "callback" and not option["nargs"]):
                kwargs["action"] = "store_true"
            elif action == "callback":
                kwargs.update(action="store", nargs=option["nargs"])
            elif action in ("store_const", "append_const"):
                kwargs.update(action=action, const=None)
            else:
                kwargs["action"] = action
                if action in optparse.Option.TYPED_ACTIONS:
                    kwargs["type"] = option["type"] or "string"
                    if option["nargs"]:
                        kwargs["nargs"] = option["nargs"]
                    if option["type"] == "choice":
                        kwargs["choices"] = option["choices"] or []
            try:
                parser.add_option(*option["opts"], **kwargs)
            except (optparse.OptionError, TypeError):
                continue  # a form optparse cannot rebuild from facts; it cannot be diagnosed
        return parser

    def accepts(self, argv):
        """None when nose's parser takes ``argv``, else optparse's error message."""
        try:
            self.parser().parse_args(list(argv))
        except _Rejected as exc:
            return str(exc)
        return None

    def plugin_of(self, opt):
        """A loaded plugin (fact dict) that registers ``opt`` on a parser of its own."""
        for plugin in self.nose.get("plugins", []):
            if opt in plugin.get("options", []):
                return plugin
        return None

    def failed(self):
        return [ep for ep in self.nose.get("entry_points", []) if not ep.get("ok")]

    def failed_entry_point(self, opt):
        """An entry point that failed to load and would provide ``opt``: by its name, else by
        its module's source spelling ``opt`` (``--html-file`` of plugin ``htmlout``)."""
        failed = self.failed()
        return (next((ep for ep in failed if _names_plugin(opt, ep["name"])), None) or
                next((ep for ep in failed if any(_mentions(f, opt) for f in _module_files(ep))),
                     None))


class _Rejected(Exception):
    pass


class _Parser(optparse.OptionParser):
    def error(self, msg):
        raise _Rejected(msg)

    def exit(self, status=0, msg=None):
        raise _Rejected(msg or f"exit {status}")


def _module_files(ep):
    """Where the source of a failed entry point's module may be: beside its dist-info, and the
    files of its traceback that are named after the module."""
    module = ep["value"].split(":")[0].strip()
    files = []
    if ep.get("dist_path"):
        files.append(os.path.join(os.path.dirname(ep["dist_path"]), *module.split(".")) + ".py")
    top = module.split(".")[0]
    for frame in (ep.get("error") or {}).get("frames", []):
        name = frame.get("file") or ""
        if (os.sep + top + os.sep in name or os.path.basename(name) == top + ".py") and \
                name not in files:
            files.append(name)
    return files


def _names_plugin(opt, plugin_name):
    name = opt.split("=", 1)[0].lstrip("-")
    plugin = plugin_name.lower()
    return name == f"with-{plugin}" or name.startswith(plugin + "-")


# --------------------------------------------------------------------- other interpreters

def other_plugin_installs(exclude_prefixes=()):
    """nose plugins declared by distributions of OTHER interpreters on this machine.

    Returns ``[(python_dir, dist, entry_point_name, module_file)]``, read from ``entry_points.txt``
    files without running those interpreters.
    """
    roots = set()
    home = Path.home()
    patterns = [
        str(home / ".pyenv/versions/*/lib/python3*/site-packages"),
        str(home / ".local/lib/python3*/site-packages"),
        "/usr/lib/python3*/site-packages", "/usr/lib/python3/dist-packages",
        "/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
        ".venv/lib/python3*/site-packages", "venv/lib/python3*/site-packages",
        ".tox/*/lib/python3*/site-packages",
    ]
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry:
            patterns.append(os.path.join(entry, "..", "lib", "python3*", "site-packages"))
    for pattern in patterns:
        roots.update(os.path.realpath(p) for p in glob.glob(pattern))
    excluded = tuple(os.path.realpath(p) for p in exclude_prefixes if p)
    found = []
    for root in sorted(roots):
        if excluded and root.startswith(excluded):
            continue
        for eps in glob.glob(os.path.join(root, "*.dist-info", "entry_points.txt")):
            dist = _dist_name(os.path.dirname(eps))
            for entry in inifile.read(eps):
                if entry.section in ("nose.plugins.0.10", "nose.plugins"):
                    module = entry.value.split(":")[0].strip()
                    found.append((root, dist, entry.key,
                                  os.path.join(root, *module.split(".")) + ".py"))
    return found


def _dist_name(dist_info):
    try:
        with open(os.path.join(dist_info, "METADATA"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("Name:"):
                    return line.split(":", 1)[1].strip()
                if not line.strip():
                    break
    except OSError:
        pass
    return os.path.basename(dist_info).rsplit("-", 1)[0]


def _provided_elsewhere(opt, install):
    """(site dir, dist, plugin name) of another interpreter's plugin that defines ``opt``."""
    exclude = list(install.interp.get("site_dirs", [])) + [install.interp.get("prefix")]
    bare = opt.split("=", 1)[0]
    for root, dist, name, module_file in other_plugin_installs(exclude):
        if _names_plugin(bare, name) or _mentions(module_file, bare):
            return root, dist, name
    return None


def _mentions(module_file, option):
    """Does the plugin's source spell ``option`` as a string literal? (a module or a package)"""
    for path in (module_file, os.path.join(module_file[:-3], "__init__.py")):
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            continue
        return f'"{option}"' in text or f"'{option}'" in text
    return False


def interpreter_of(site_dir):
    """The interpreter that owns ``PREFIX/lib/pythonX.Y/site-packages``, else the directory."""
    match = re.search(r"^(.*)/lib/(python3\.\d+)/(site|dist)-packages$", site_dir)
    if match:
        python = os.path.join(match.group(1), "bin", match.group(2))
        if os.path.exists(python):
            return python
    return site_dir


# ------------------------------------------------------------------------ explanations

def closest(opt, known):
    """Options spelled like ``opt``. ``--with-NAME`` is compared on NAME alone: every plugin
    switch shares the ``--with-`` prefix, which would make any two of them look alike."""
    def name(option):
        bare = option.lstrip("-")
        return bare[5:] if bare.startswith("with-") else bare
    wanted = name(opt)
    family = [o for o in known if o.startswith("-") and
              o.lstrip("-").startswith("with-") == opt.lstrip("-").startswith("with-") and
              o.startswith("--") == opt.startswith("--")]
    by_name = {}
    for option in family:
        by_name.setdefault(name(option), option)
    return [by_name[n] for n in difflib.get_close_matches(wanted, list(by_name), n=3, cutoff=0.7)]


def explain_unknown(opt, install, *, source=None):
    """Why nose's parser does not know ``opt``; ``source`` is a Finding-like origin override."""
    bare = opt.split("=", 1)[0]
    where = {} if source is None else source
    plugin = install.plugin_of(bare)
    reason = plugin.get("disabled_reason") if plugin else None
    if reason:
        taken = re.search(r"conflicting option string\(s\): (\S+)", reason)
        if taken:
            holder = install.owner(taken.group(1))
            holder = "nose itself" if holder in ("nose", None) else f"plugin {holder}"
            why = f"its option {taken.group(1)} is already taken by {holder}"
            fix = (f"uninstall plugin {plugin['name']}, or ask its authors to rename "
                   f"{taken.group(1)}")
        else:
            why, fix = reason, f"see why plugin {plugin['name']} cannot add its options"
        return Finding("plugin-disabled",
                       f"{bare} belongs to plugin {plugin['name']} ({plugin['module']}), which "
                       f"nose disabled: {why}", fix=fix, detail=f"nose: {reason}", **where)
    failed = install.failed_entry_point(bare)
    if failed:
        error = failed.get("error") or {}
        why = f"{error.get('type')}: {error.get('message')}" if error else "it failed to load"
        return Finding("plugin-failed",
                       f"{bare} belongs to plugin {failed['name']} ({failed['value']}, from "
                       f"{failed['dist']} {failed.get('dist_version') or ''}".rstrip() +
                       f"), which failed to load: {why}",
                       fix=_load_fix(failed, install), **where)
    elsewhere = _provided_elsewhere(bare, install)
    if elsewhere:
        root, dist, name = elsewhere
        return Finding("plugin-other-python",
                       f"{bare} belongs to plugin {name} from {dist}, installed for another "
                       f"interpreter ({interpreter_of(root)}), not for {install.python}",
                       fix=f"{install.python} -m pip install {dist}", **where)
    switches = {f"--with-{ep['name']}": ep for ep in install.failed()}
    close = closest(bare, install.strings + list(switches))
    if close:
        broken = switches.get(close[0])
        note = f" (plugin {broken['name']} failed to load)" if broken else ""
        return Finding("typo", f"{bare} is not an option of nose; did you mean "
                               f"{' or '.join(close)}?{note}",
                       fix=f"use {close[0]}" + (f"; first {_load_fix(broken, install)}"
                                                 if broken else ""), **where)
    version = f" {install.version}" if install.version else ""
    return Finding("unknown-option",
                   f"{bare} is not an option of nose{version} with the plugins installed for "
                   f"{install.python}",
                   fix="see `nosetests --help` for the options this install has", **where)


def _load_fix(ep, install):
    missing = (ep.get("error") or {}).get("missing_module")
    return (f"install the missing module {missing!r} into {install.python}" if missing
            else f"fix the import of {ep['value']}")


def explain_ambiguous(message, install):
    match = re.match(r"ambiguous option: (\S+) \((.*)\?\)", message)
    if not match:
        return None
    typed, candidates = match.group(1), [c.strip() for c in match.group(2).split(",")]
    owners = []
    for candidate in candidates:
        owner = install.owner(candidate) or "?"
        owners.append(f"{candidate} ({'nose' if owner == 'nose' else 'plugin ' + owner})")
    became = ""
    # Name a plugin only when, without its options, the abbreviation would mean one option.
    for plugin in sorted({install.owner(c) for c in candidates} - {"nose", None}):
        others = [c for c in candidates if install.owner(c) != plugin]
        if len(others) == 1:
            became = f"; it meant {others[0]} until plugin {plugin} added options with the same prefix"
            break
    return Finding("ambiguous-option",
                   f"{typed} is an abbreviation that matches {len(candidates)} options{became}",
                   detail="matches: " + ", ".join(owners),
                   fix=f"spell the option out in full, e.g. {candidates[0]}")


def explain_config(message, install, project="."):
    """nose's ``Error reading config file 'F': ...`` with the line that set the value."""
    match = CONFIG_ERROR.match(message)
    if not match:
        return None
    path, rest = match.group("file"), match.group("rest")
    full = path if os.path.isabs(path) else os.path.join(project, path)
    unknown = re.match(r"no such option '(.+)'$", rest)
    bad = re.match(r"option '(.+?)': (.*)$", rest)
    name = unknown.group(1) if unknown else bad.group(1) if bad else None
    entry = inifile.section(full, "nosetests").get(name) if name else None
    where = {"file": path, "line": entry.line if entry else None, "origin": "config"}
    if unknown:
        return _config_unknown(name, entry.value if entry else "...", install, where)
    if bad:
        return Finding("config-bad-value", f"[nosetests] {name}: {bad.group(2)}",
                       fix=f"correct the value of {name}, or remove the line", **where)
    return Finding("config-unreadable", f"nose cannot read {path}: {rest}",
                   fix="fix the syntax of the file", **where)


def _config_unknown(name, value, install, where):
    """An unknown key of a [nosetests] section, explained like the option ``--name``. Config
    files spell options without the dashes, so the message and the fix do too."""
    long_names = next((option["opts"] for option in install.options
                       if "-" + name in option["opts"]), [])
    long_names = [o[2:] for o in long_names if o.startswith("--")]
    if len(name) == 1 and long_names:
        # nose reads config keys as long option names only: `x = 1` is not `-x`.
        return Finding("config-short-option",
                       f"[nosetests] {name} = {value}: {name} is the short form of "
                       f"--{long_names[0]}; config files take long names only",
                       fix=f"write `{long_names[0]} = {value}` instead", **where)
    finding = explain_unknown("--" + name, install, source=where)
    finding.cause = "config-" + finding.cause
    text = re.sub(r"(^|[\s(])--(?=\w)", r"\1", finding.message)
    finding.message = f"[nosetests] {name} = {value}: {text}"
    if finding.cause == "config-typo":
        finding.fix = "rename the key to " + finding.fix.replace("use --", "")
    return finding


def explain_option_error(message, argv, install, project="."):
    """A finding for an optparse error that nose's own parser printed."""
    config = explain_config(message, install, project)
    if config:
        return config
    if message.startswith("ambiguous option"):
        return explain_ambiguous(message, install)
    match = re.match(r"no such option: (\S+)$", message)
    if match:
        return explain_unknown(match.group(1), install)
    match = re.match(r"(\S+) option requires (\d+) arguments?", message)
    if match:
        return Finding("missing-value", f"{match.group(1)} needs a value and none follows it",
                       fix=f"give a value: {match.group(1)} VALUE")
    match = re.match(r"option (\S+): (.*)$", message)
    if match:
        owner = install.owner(match.group(1))
        by = f" (an option of plugin {owner})" if owner and owner != "nose" else ""
        return Finding("bad-value", f"{match.group(1)}{by}: {match.group(2)}",
                       fix=f"see `nosetests --help` for what {match.group(1)} takes")
    return Finding("rejected", f"nose rejected its command line: {message}")


def explain_foreign(exit_event, parse_events, message=None):
    """A finding for a SystemExit that a test module raised during collection."""
    parses = [e for e in parse_events if e.kind == "parse" and e.file == exit_event.file] or \
        [e for e in parse_events if e.kind == "parse"]
    said = f" ({message})" if message else ""
    module = argv_guard.short_path(exit_event.module)
    if exit_event.api in argv_guard.PARSER_APIS - {"unittest.main()", "setup()"}:
        text = (f"not nose's error{said}: {exit_event.api}, called by the test code, parsed "
                f"nose's command line while nose imported {module}")
        cause = "foreign-parser"
    else:
        code = argv_guard.exit_text(exit_event.exit_code)
        text = f"{exit_event.api} raised SystemExit({code}) while nose imported {module}{said}"
        cause = "foreign-exit"
    detail = []
    if exit_event.code:
        detail.append(exit_event.code)
    for event in parses:
        if (event.file, event.line) != (exit_event.file, exit_event.line):
            detail.append(f"{event.api} read sys.argv at {argv_guard.short_path(event.file)}:"
                          f"{event.line}: {event.code}")
    return Finding(cause, text, file=argv_guard.short_path(exit_event.file), line=exit_event.line,
                   detail="\n".join(detail) or None,
                   fix=argv_guard.fix_for(exit_event.api, exit_event.isolated), origin="foreign")


# ------------------------------------------------------------------------------------ -w

def where_values(argv):
    """The values of ``-w``/``--where`` on a nose command line, in order."""
    values = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if arg in ("-w", "--where") or (arg.startswith("--wh") and "--where".startswith(arg)):
            if i + 1 < len(args):
                values.append(args[i + 1])
            i += 2
            continue
        if arg.startswith("--where="):
            values.append(arg.split("=", 1)[1])
        elif arg.startswith("-w") and not arg.startswith("--"):
            values.append(arg[2:])
        i += 1
    return values


def where_source(path, argv, environ, project="."):
    """(origin, file, line) for where a ``where`` value came from."""
    if path in where_values(argv):
        return "nose", None, None
    if environ.get("NOSE_WHERE") == path:
        return "env", "NOSE_WHERE", None
    for cfg in ("setup.cfg", os.path.expanduser("~/.noserc"), os.path.expanduser("~/nose.cfg")):
        full = cfg if os.path.isabs(cfg) else os.path.join(project, cfg)
        entry = inifile.section(full, "nosetests").get("where")
        if entry is not None and (path in entry.value.split() or
                                  path.split() == entry.value.split()):
            return "config", cfg, entry.line
    return "nose", None, None


def explain_where(path, argv, environ, project="."):
    origin, file, line = where_source(path, argv, environ, project)
    parts = path.split()
    if "\n" in path.strip() and origin == "config":
        return Finding("where-multiline",
                       f"`where =` spans {len(parts)} lines ({', '.join(parts)}): nose takes the "
                       f"whole value as one directory name, which does not exist",
                       file=file, line=line, origin=origin,
                       fix=f"give one directory and list the others as tests: `where = "
                           f"{parts[0]}` and `tests = {', '.join(parts[1:])}`")
    full = path if os.path.isabs(path) else os.path.join(project, path)
    given = {"env": "NOSE_WHERE=" + path, "config": f"where = {path}"}.get(origin, f"-w {path}")
    if os.path.isfile(full):
        finding = Finding("where-is-file", f"{given}: {path} is a file, not a directory",
                          fix=f"name the file without -w: nosetests {shlex.quote(path)}")
    else:
        relative = "" if os.path.isabs(path) else f" (relative to {os.path.abspath(project)})"
        finding = Finding("where-missing", f"{given}: no directory {path}{relative}",
                          fix="give an existing directory, or leave -w out to use the current one")
    if origin == "env":
        finding.message = f"environment variable {finding.message}"
    finding.origin, finding.file, finding.line = origin, file, line
    return finding


def explain_several_where(argv, project="."):
    """Several ``-w``: nose works in the first and takes the others as test names, looked for
    inside it. None when the first is missing: nose stops there (``explain_where`` says so)."""
    values = where_values(argv)
    if len(values) < 2 or not os.path.isdir(os.path.join(project, values[0])):
        return None
    first = os.path.join(project, values[0])
    missing = [v for v in values[1:] if not os.path.exists(os.path.join(first, v))]
    if missing:
        kept = " ".join(shlex.quote(v) for v in values[1:] if v not in missing)
        absent = ", ".join(os.path.join(values[0], v) for v in missing)
        return Finding("where-missing",
                       f"-w given {len(values)} times ({', '.join(values)}): nose works in "
                       f"{values[0]} and takes the others as test names in it, but there is "
                       f"no {absent}",
                       fix=f"keep one -w and name only tests that exist (relative to "
                           f"{values[0]}): nosetests -w {shlex.quote(values[0])} {kept}".rstrip())
    rest = " ".join(shlex.quote(v) for v in values[1:])
    return Finding("where-several",
                   f"-w given {len(values)} times ({', '.join(values)}): nose works in "
                   f"{values[0]} and treats the others as test names (deprecated)",
                   fix=f"keep one -w and name the others as tests: nosetests -w "
                       f"{shlex.quote(values[0])} {rest}")


def explain_relative_names(stderr, argv, environ, project="."):
    """A test name that exists from the current directory, but nose looked for it inside the
    working directory that ``where`` (setup.cfg, -w or NOSE_WHERE) set: "No such file W/NAME"."""
    findings = []
    for missing in sorted(set(re.findall(r"No such file (\S+)", stderr))):
        for name in (a for a in argv if not a.startswith("-")):
            base = missing[: -len(name)].rstrip(os.sep) if missing.endswith(os.sep + name) else None
            if not base or not os.path.exists(os.path.join(project, name)):
                continue
            origin, file, line = _where_setting(base, argv, environ, project)
            shown = os.path.relpath(base, project)
            given = {"config": f"`where = {shown}`", "env": f"NOSE_WHERE={shown}"}.get(
                origin, f"-w {shown}")
            relative = os.path.relpath(os.path.join(project, name), base)
            findings.append(Finding(
                "where-relative-name",
                f"{given} makes nose look for the test name {name} inside {shown}{os.sep}, where "
                f"it does not exist",
                file=file, line=line, origin=origin,
                fix=f"name it relative to {shown}: {relative} (or give an absolute path)"))
    return findings


def _where_setting(base, argv, environ, project):
    """Which where setting points at directory ``base``: (origin, file, line)."""
    def same(value):
        return os.path.abspath(os.path.join(project, value)) == os.path.abspath(base)
    if any(same(v) for v in where_values(argv)):
        return "nose", None, None
    if environ.get("NOSE_WHERE") and same(environ["NOSE_WHERE"]):
        return "env", "NOSE_WHERE", None
    for cfg in ("setup.cfg", os.path.expanduser("~/.noserc"), os.path.expanduser("~/nose.cfg")):
        entry = inifile.section(os.path.join(project, cfg), "nosetests").get("where")
        if entry is not None and any(same(v) for v in entry.value.split()):
            return "config", cfg, entry.line
    return "nose", None, None


def env_findings(install):
    """Findings for NOSE_* variables the probe found invalid (nose crashes on some of them)."""
    out = []
    for entry in install.config.get("env", []):
        if entry.get("status") == "invalid":
            feeds = ", ".join(entry.get("options") or []) or "a nose setting"
            out.append(Finding("env-bad-value",
                               f"environment variable {entry['name']}={entry['value']!r} "
                               f"(feeds {feeds}): {entry.get('message')}",
                               file=entry["name"], origin="env",
                               fix=f"correct or unset {entry['name']}"))
    return out


def config_findings(install):
    """Findings for config-file values that nose's parser refuses, with file and line."""
    out = []
    for cfg in install.config.get("files", []):
        lines = inifile.section(cfg["path"], "nosetests")
        for value in cfg.get("values", []):
            if value.get("status") not in ("unknown", "invalid"):
                continue
            entry = lines.get(value["name"])
            where = {"file": cfg["path"], "line": entry.line if entry else None,
                     "origin": "config"}
            if value["status"] == "unknown":
                finding = _config_unknown(value["name"], value["value"], install, where)
            else:
                finding = Finding("config-bad-value",
                                  f"[nosetests] {value['name']} = {value['value']}: "
                                  f"{value.get('message')}",
                                  fix=f"correct the value of {value['name']}", **where)
            out.append(finding)
    return out


def explain_crash(traceback_text, install):
    """A crash of nose after parsing (a plugin's ``int(value)``, say) that the probe's checks do
    not explain: the config or NOSE_* value that the exception quotes, else the exception."""
    lines = [line for line in traceback_text.rstrip().splitlines() if line.strip()]
    frames = [line for line in lines if line.lstrip().startswith('File "')]
    last_frame_line = max((i for i, line in enumerate(lines) if line.startswith((" ", "\t"))),
                          default=-1)
    exception = " ".join(lines[last_frame_line + 1:]) or "nose crashed"
    frame = re.match(r'\s*File "(.+)", line (\d+), in (\S+)', frames[-1]) if frames else None
    detail = (f"raised at {argv_guard.short_path(frame.group(1))}:{frame.group(2)} "
              f"({frame.group(3)})" if frame else None)
    quoted = set(re.findall(r"'([^']+)'", exception))
    for cfg in install.config.get("files", []):
        lines_of = inifile.section(cfg["path"], "nosetests")
        for value in cfg.get("values", []):
            if value["value"].strip() in quoted:
                entry = lines_of.get(value["name"])
                return Finding("config-bad-value",
                               f"[nosetests] {value['name']} = {value['value']}: nose crashed "
                               f"on this value: {exception}", detail=detail,
                               file=cfg["path"], line=entry.line if entry else None,
                               origin="config",
                               fix=f"correct the value of {value['name']}, or remove the line")
    for entry in install.config.get("env", []):
        if entry["value"].strip() in quoted:
            feeds = ", ".join(entry.get("options") or []) or "a nose setting"
            return Finding("env-bad-value",
                           f"environment variable {entry['name']}={entry['value']!r} (feeds "
                           f"{feeds}): nose crashed on this value: {exception}", detail=detail,
                           file=entry["name"], origin="env",
                           fix=f"correct or unset {entry['name']}")
    return Finding("nose-crashed", f"nose crashed after reading its options: {exception} (see "
                                   "the traceback above)", detail=detail,
                   fix="run `harness doctor` to inspect this nose install")


# ------------------------------------------------------------------------- a whole run

def diagnose_run(*, argv, exit_code, stderr, armed, events, held, install_loader, environ,
                 project=".", guard=True):
    """Findings for one nose run, and whether it must fail although nose exited 0.

    ``stderr`` is what nose printed there (its tail is enough), ``armed``/``events`` what the
    argv guard recorded (``harness.argv.read_events``), ``held`` the text of a final traceback
    that the caller held back, ``install_loader`` a callable returning an ``Install`` (called
    only when nose's own parser has to be consulted: it costs a probe). Returns
    ``(findings, failed_empty)``.
    """
    findings = []
    exits = [e for e in events if e.kind == "exit"]
    parses = [e for e in events if e.kind in ("parse", "read")]
    error = parse_error(stderr)
    message = error[1] if error else None
    several = explain_several_where(argv, project)
    if several:
        findings.append(several)
    if exits:
        findings.extend(explain_foreign(e, parses, message if e.exit_code == 2 else None)
                        for e in exits)
        if exit_code == 0:
            first = exits[0]
            findings.append(Finding(
                "green-but-empty",
                f"the run looks green, but {argv_guard.short_path(first.module)} raised SystemExit"
                f"({argv_guard.exit_text(first.exit_code)}) during collection: the tests after "
                f"it never ran; failing the run (exit code 1)",
                fix=argv_guard.fix_for(first.api), origin="collection"))
            return findings, True
        return findings, False
    where = WHERE_ERROR.search(held or "")
    if where:
        findings.append(explain_where(where.group("path"), argv, environ, project))
        return findings, False
    if message is None and not held:
        findings.extend(explain_relative_names(stderr, argv, environ, project))
        if armed is None and exit_code not in (0, None) and "Traceback (most recent" in stderr:
            findings.append(Finding("nose-crashed", "nose failed before it collected any test "
                                    "(see the traceback above)",
                                    fix="run `harness doctor` to inspect this nose install"))
        return findings, False
    if armed is not None and message is not None:
        # nose parsed its command line (the guard saw collection start), so the error is not
        # nose's: something the tests ran parsed sys.argv outside an import.
        located = [e for e in parses if e.kind == "parse"]
        if exit_code in (0, None) or not (located or _stopped_the_run(stderr)):
            return findings, False  # a test printed a parser's error and nose went on
        detail = "\n".join(f"{e.api} read sys.argv at {argv_guard.short_path(e.file)}:{e.line}"
                           for e in located) or None
        findings.append(Finding("foreign-unlocated",
                                f"nose accepted its command line; the error ({message}) came "
                                f"from code that the tests ran", detail=detail,
                                fix=argv_guard.fix_for("optparse"), origin="foreign"))
        return findings, False
    install = install_loader()
    if install is None:
        findings.append(Finding("uninspected", f"nose rejected its command line ({message}); the "
                                "install could not be inspected to say why" if message else
                                "nose crashed; the install could not be inspected to say why",
                                fix="run `harness doctor` to inspect this nose install"))
        return findings, False
    if held:
        findings.extend(env_findings(install) + config_findings(install) or
                        [explain_crash(held, install)])
        return findings, False
    if not message.startswith("Error reading config file") and install.accepts(argv) is None:
        findings.append(Finding(
            "foreign-unlocated",
            f"nose's parser accepts these arguments, so the error ({message}) came from another "
            f"parser: a module imported during collection that parses sys.argv",
            fix=("run with the argv guard (drop --no-guard) to get its file and line" if not guard
                 else "see the argv-guard lines above for its file and line"),
            origin="foreign"))
        return findings, False
    findings.append(explain_option_error(message, argv, install, project))
    return findings, False
