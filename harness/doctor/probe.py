"""Facts about a nose install, gathered INSIDE the interpreter that runs it.

This file is executed as a script by the target interpreter (see ``harness.doctor.target``), never
imported by the harness. It therefore uses the standard library only, runs on Python 3.8+, and
imports neither ``harness`` nor ``nose`` at import time: the install it inspects may be broken, and
the harness may not be installed for that interpreter at all.

Usage (what ``Target`` runs)::

    python probe.py facts   REQUEST_JSON     # what is installed, how nose loads, its config
    python probe.py collect REQUEST_JSON     # a --collect-only smoke run of nose in the project

``REQUEST_JSON`` is an object with these keys (all optional):

``project``  directory the user runs nose from (default: the current directory). The probe
             ``chdir``s there first, as nose reads ``setup.cfg`` from the working directory.
``sections`` for ``facts``: a list out of ``interp``, ``dists``, ``resolve``, ``nose``, ``config``
             (default: all). ``nose`` and ``config`` import nose; the others never do.
``config_files`` extra config files, as given with ``nosetests -c FILE``.
``argv``     for ``collect``: the nose arguments to add after ``--collect-only``.

The probe writes ONE JSON object to stdout, whatever the code it imports prints (plugins and test
modules that print are redirected to stderr)::

    {"probe": 1, "mode": "facts", "sections": {NAME: {...}}, "failed": {NAME: "traceback"}}

A section the probe itself failed on is listed under ``failed`` with its traceback, so one bad
section never hides the others. The keys of each section are documented on the function that
builds it (``interp()``, ``dists()``, ``resolve()``, ``nose_facts()``, ``config()``,
``collect()``). They are an internal contract between this file, ``target.py`` and the checks:
``docs/doctor.md`` documents the doctor's public JSON, not this one.
"""

import base64
import hashlib
import json
import os
import re
import sys
import traceback
import warnings

PROBE_VERSION = 1
NOSE_GROUPS = ("nose.plugins.0.10", "nose.plugins")
PARSER_CALLS = []  # (parser kind, file, line, code) recorded during the collect smoke run


def frames(tb_or_exc, limit=8):
    """The last ``limit`` frames of a traceback as dicts (file, line, function, code)."""
    tb = getattr(tb_or_exc, "__traceback__", tb_or_exc)
    out = []
    for fs in traceback.extract_tb(tb)[-limit:]:
        out.append({"file": fs.filename, "line": fs.lineno, "function": fs.name,
                    "code": (fs.line or "").strip()})
    return out


def describe(exc):
    """An exception as JSON: type, message, missing module (if any) and its last frames."""
    return {"type": type(exc).__name__, "message": str(exc),
            "missing_module": getattr(exc, "name", None) if isinstance(exc, ImportError) else None,
            "frames": frames(exc)}


# --------------------------------------------------------------------------------------- interp

def interp(request):
    """The interpreter: ``executable``, ``version`` (list), ``version_str``, ``prefix``,
    ``base_prefix``, ``in_venv``, ``pyvenv_cfg`` (dict or null), ``sys_path`` (as the nosetests
    script sees it: without the probe's own directory), ``cwd``, ``site_dirs``, ``cache_tag``,
    ``magic`` (hex of the bytecode magic number), ``env`` (PYTHONPATH and every NOSE_* variable),
    ``home`` (the expanded ``~``)."""
    import importlib.util
    import site
    cfg = None
    cfg_path = os.path.join(sys.prefix, "pyvenv.cfg")
    if os.path.isfile(cfg_path):
        cfg = {}
        with open(cfg_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if "=" in line:
                    key, value = line.split("=", 1)
                    cfg[key.strip()] = value.strip()
    site_dirs = []
    try:
        site_dirs.extend(site.getsitepackages())
    except AttributeError:  # old virtualenv's site.py has no getsitepackages
        pass
    user_site = getattr(site, "USER_SITE", None)
    if user_site and getattr(site, "ENABLE_USER_SITE", False):
        site_dirs.append(user_site)
    return {
        "executable": sys.executable,
        "version": list(sys.version_info[:3]),
        "version_str": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "in_venv": getattr(sys, "base_prefix", sys.prefix) != sys.prefix,
        "pyvenv_cfg": cfg,
        "sys_path": list(sys.path),
        "cwd": os.getcwd(),
        "site_dirs": site_dirs,
        "cache_tag": sys.implementation.cache_tag,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("NOSE_") or k == "PYTHONPATH"},
        "home": os.path.expanduser("~"),
    }


# ---------------------------------------------------------------------------------------- dists

def _record_check(base, entries):
    """Compare the RECORD lines under ``nose/`` (and the scripts) with the files on disk."""
    missing, modified = [], []
    for rel, digest in entries:
        path = os.path.normpath(os.path.join(base, rel))
        if not os.path.exists(path):
            if not rel.endswith(".pyc"):
                missing.append(path)
            continue
        if not digest or "=" not in digest:
            continue
        algo, expected = digest.split("=", 1)
        try:
            with open(path, "rb") as handle:
                actual = hashlib.new(algo, handle.read()).digest()
        except (OSError, ValueError):
            continue
        if base64.urlsafe_b64encode(actual).rstrip(b"=").decode() != expected:
            modified.append(path)
    return missing, modified


_INSTALLED = []


def _headers(text):
    """The header block of a METADATA / PKG-INFO file as {name: [values]} (no email parser:
    it is the slowest part of reading metadata, and only the headers are needed)."""
    headers = {}
    last = None
    for line in (text or "").splitlines():
        if not line.strip():
            break
        if line[0] in " \t" and last:
            headers[last][-1] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip().lower()
            headers.setdefault(last, []).append(value.strip())
    return headers


def _entry_point_lines(text):
    """(group, name, value) for each line of an entry_points.txt that mentions nose."""
    found = []
    group = None
    if "nose" not in (text or ""):
        return found
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        name, sep, value = line.partition("=")
        if sep and group:
            found.append((group, name.strip(), value.strip()))
    return found


def installed():
    """Every distribution once: (dist, path, name, version, headers, nose entry points)."""
    if _INSTALLED:
        return _INSTALLED
    from importlib import metadata
    seen = set()
    for dist in metadata.distributions():
        path = str(getattr(dist, "_path", "") or "")
        if path in seen:
            continue
        seen.add(path)
        headers = _headers(dist.read_text("METADATA") or dist.read_text("PKG-INFO"))
        name = (headers.get("name") or ["?"])[0]
        version = (headers.get("version") or [None])[0]
        eps = [ep for ep in _entry_point_lines(dist.read_text("entry_points.txt"))
               if ep[0] in NOSE_GROUPS or (ep[0] == "console_scripts"
                                           and ep[1].startswith("nosetests"))]
        _INSTALLED.append((dist, path, name, version, headers, eps))
    return _INSTALLED


def _requires_txt(dist):
    """Requirements of an .egg-info distribution (unconditional ones, before any [section])."""
    found = []
    for line in (dist.read_text("requires.txt") or "").splitlines():
        if line.startswith("["):
            break
        if line.strip():
            found.append(line.strip())
    return found


def dists(request):
    """Installed distributions, as ``importlib.metadata`` in the target sees them.

    ``dists``: one dict per distribution with ``name``, ``version``, ``path`` (its .dist-info or
    .egg-info), ``location`` (the directory it is installed into), ``installer``,
    ``editable`` (installed with ``pip install -e``), ``requires_python``, ``python_classifiers``
    (["3.8", ...]), ``requires`` (Requires-Dist lines),
    ``top_level``, ``owns_nose`` (its RECORD or top_level lists the ``nose`` package),
    ``entry_points`` (those in the nose plugin groups and ``nosetests*`` console scripts:
    group, name, value), ``nose_files`` (RECORD paths of the nose package, absolute) and for
    owners of nose ``record_missing`` / ``record_modified`` (absolute paths).
    """
    out = []
    for dist, path, name, version, headers, eps in installed():
        location = os.path.dirname(path) if path else ""
        record = dist.read_text("RECORD") or dist.read_text("installed-files.txt") or ""
        entries = []
        for line in record.splitlines():
            parts = line.rsplit(",", 2) if line.count(",") >= 2 else [line, "", ""]
            if parts[0]:
                entries.append((parts[0], parts[1]))
        if path.endswith(".egg-info") and not path.endswith(os.sep + "EGG-INFO"):
            # installed-files.txt paths are relative to the .egg-info directory
            base = path if dist.read_text("installed-files.txt") else location
        else:
            base = location
        top = [t.strip() for t in (dist.read_text("top_level.txt") or "").splitlines() if t.strip()]
        pkg_dir = os.path.join(location, "nose")
        nose_entries = []
        for rel, digest in entries:
            full = os.path.normpath(os.path.join(base, rel))
            if full.startswith(pkg_dir + os.sep) or full == pkg_dir + ".py":
                nose_entries.append((rel, digest))
        owns = bool(nose_entries) or "nose" in top
        item = {
            "name": name, "version": version, "path": path, "location": location,
            "installer": (dist.read_text("INSTALLER") or "").strip() or None,
            "editable": '"editable": true' in (dist.read_text("direct_url.json") or ""),
            "requires_python": (headers.get("requires-python") or [None])[0],
            "python_classifiers": sorted(
                {c.split("::")[-1].strip() for c in headers.get("classifier", [])
                 if re.match(r"Programming Language :: Python :: \d+\.\d+$", c)},
                key=lambda v: tuple(int(x) for x in v.split("."))),
            "requires": headers.get("requires-dist") or _requires_txt(dist),
            "top_level": top, "owns_nose": owns,
            "entry_points": [{"group": g, "name": n, "value": v} for g, n, v in eps],
            "nose_files": [os.path.normpath(os.path.join(base, rel)) for rel, _ in nose_entries],
        }
        if owns:
            scripts = [(rel, dg) for rel, dg in entries
                       if os.path.basename(rel).startswith(("nosetests", "pynose"))]
            item["record_missing"], item["record_modified"] = _record_check(
                base, nose_entries + scripts)
        out.append(item)
    return {"dists": out}


# -------------------------------------------------------------------------------------- resolve

def _candidate(entry):
    """What ``import nose`` would find in one sys.path entry, without importing it."""
    if not entry:
        entry = os.getcwd()
    if os.path.isfile(entry) and entry.endswith((".egg", ".zip", ".whl")):
        import zipfile
        try:
            names = zipfile.ZipFile(entry).namelist()
        except Exception:
            return None
        if "nose/__init__.py" in names or "nose/__init__.pyc" in names:
            return os.path.join(entry, "nose")
        return None
    pkg = os.path.join(entry, "nose")
    for name in ("__init__.py", "__init__.pyc"):
        if os.path.isfile(os.path.join(pkg, name)):
            return pkg
    for name in ("nose.py", "nose.pyc"):
        if os.path.isfile(os.path.join(entry, name)):
            return os.path.join(entry, name)
    return None


def _pth_entries(site_dirs):
    """{added path: "file.pth:line"} for the path lines of every .pth file in the site dirs."""
    added = {}
    for directory in site_dirs:
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(".pth"))
        except OSError:
            continue
        for name in names:
            pth = os.path.join(directory, name)
            try:
                with open(pth, encoding="utf-8", errors="replace") as handle:
                    lines = handle.read().splitlines()
            except OSError:
                continue
            for number, line in enumerate(lines, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith(("import ", "import\t")):
                    # executable lines (easy-install's sys.path.insert tricks): quoted paths
                    paths = re.findall(r"['\"]([^'\"]+)['\"]", line)
                    paths = [p for p in paths if os.path.isabs(p) and os.path.exists(p)]
                else:
                    paths = [os.path.join(directory, line)]
                for path in paths:
                    added.setdefault(os.path.normpath(path), "%s:%d" % (pth, number))
    return added


def resolve(request):
    """Where ``import nose`` resolves, without importing it.

    ``candidates``: every sys.path entry that holds a ``nose`` package or module, in sys.path order
    (the first wins), each with ``path`` (the package directory or module file), ``entry``
    (the sys.path entry), ``origin`` (``pythonpath``, ``pth``, ``site``, ``stdlib``, ``cwd``,
    ``other``, or ``finder`` when a meta path finder such as an editable install answers first) and ``origin_detail`` (the PYTHONPATH value or the ``.pth`` file:line).
    ``project_candidate``: a ``nose.py`` or ``nose/`` in the project directory itself (what
    ``python -m nose`` and ``setup.py nosetests`` run there would import first), or null.
    ``namespace_dirs``: ``nose`` directories without ``__init__.py`` (leftovers of an uninstall;
    Python imports them as an empty namespace package when there is no real candidate).
    """
    import site
    site_dirs = []
    try:
        site_dirs.extend(site.getsitepackages())
    except AttributeError:
        pass
    if getattr(site, "ENABLE_USER_SITE", False) and getattr(site, "USER_SITE", None):
        site_dirs.append(site.USER_SITE)
    pth = _pth_entries(site_dirs)
    pythonpath = [os.path.normpath(os.path.abspath(p))
                  for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    stdlib = os.path.normpath(os.path.dirname(os.__file__))
    norm_sites = [os.path.normpath(d) for d in site_dirs]
    out = []
    namespace = []
    seen = set()
    for entry in sys.path:
        found = _candidate(entry)
        if not found:
            pkg = os.path.join(entry or os.getcwd(), "nose")
            if os.path.isdir(pkg):
                namespace.append(os.path.abspath(pkg))
            continue
        if found in seen:
            continue
        seen.add(found)
        norm = os.path.normpath(os.path.abspath(entry or os.getcwd()))
        if norm in pythonpath:
            origin, detail = "pythonpath", os.environ.get("PYTHONPATH")
        elif norm in pth:
            origin, detail = "pth", pth[norm]
        elif norm in norm_sites:
            origin, detail = "site", None
        elif norm == stdlib or norm.startswith(stdlib + os.sep):
            origin, detail = "stdlib", None
        elif norm == os.getcwd():
            origin, detail = "cwd", None
        else:
            origin, detail = "other", None
        out.append({"path": os.path.abspath(found), "entry": norm, "origin": origin,
                    "origin_detail": detail})
    finder = _finder_location()
    if finder and all(os.path.normpath(c["path"]) != finder for c in out) and not (
            out and out[0]["origin"] == "pythonpath"):
        # a meta path finder answers first (editable installs): that is what imports
        out.insert(0, {"path": finder, "entry": os.path.dirname(finder), "origin": "finder",
                       "origin_detail": None})
    project = _candidate(os.getcwd())
    return {"candidates": out, "project_candidate": project, "namespace_dirs": namespace}


def _finder_location():
    """Where the import system itself finds nose (top-level lookup: nothing is executed)."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("nose")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations and spec.origin in (None, "namespace"):
        return None  # a namespace package: reported through namespace_dirs
    if spec.origin and os.path.basename(spec.origin).startswith("__init__."):
        return os.path.normpath(os.path.dirname(spec.origin))
    return os.path.normpath(spec.origin) if spec.origin else None


# ----------------------------------------------------------------------------------------- nose

def _option_facts(option):
    help_text = option.help or ""
    return {
        "opts": option._short_opts + option._long_opts,
        "dest": option.dest, "action": option.action, "type": option.type,
        "choices": list(option.choices) if option.choices else None,
        "nargs": option.nargs, "metavar": option.metavar,
        "default": option.default if isinstance(option.default, (str, int, float, bool,
                                                                  type(None))) else repr(
            option.default),
        "help": help_text, "env": re.findall(r"\[(NOSE_[A-Z0-9_]+)\]", help_text),
    }


ENV_READ = set()  # NOSE_* names that nose or a plugin looked up while building options


class _WatchedEnv(dict):
    """os.environ as nose sees it, noting which variables are looked up."""

    def get(self, key, default=None):
        ENV_READ.add(key)
        return dict.get(self, key, default)

    def __getitem__(self, key):
        ENV_READ.add(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key):
        ENV_READ.add(key)
        return dict.__contains__(self, key)


def _plugin_option_strings(plugin):
    """The option strings one plugin registers, on a parser of its own (no conflicts there)."""
    from optparse import OptionParser
    parser = OptionParser(add_help_option=False, conflict_handler="resolve")
    try:
        plugin.addOptions(parser, _WatchedEnv(os.environ))
    except TypeError:
        plugin.addOptions(parser)
    return [s for o in parser.option_list for s in o._short_opts + o._long_opts]


_NOSE = {}  # what nose_facts() loaded, reused by config()


def nose_facts(request):
    """nose as it loads: ``import`` (ok, version, file, error), ``builtins`` (each builtin plugin
    module: module, cls, ok, error, file_exists), ``entry_points_supported`` (false when this nose
    loads entry-point plugins through pkg_resources and it is missing), ``pkg_resources``
    (importable?), ``entry_points`` (each one in the nose groups: group, name, value, dist,
    dist_version, ok, error, plugin_name, score, options), ``warnings`` (what nose warned while
    loading plugins and building its parser), ``plugins`` (the loaded plugins: name, cls, module,
    source, score, enable_dest, options, enabled, can_configure, disabled_reason: why nose
    disabled it, or null), ``option_errors`` ({plugin name: error} for plugins whose options()
    raised), ``load_error`` (nose imported but its plugin machinery did not load), ``options`` (every option of the real parser: opts, dest,
    action, type, choices, nargs, metavar, default, help, env, owner), ``core_options`` (option
    strings of nose itself).
    """
    out = {"import": {"ok": False}}
    _NOSE["ran"] = True
    try:
        import nose
    except BaseException as exc:  # noqa: B036 - a broken nose may even raise SystemExit
        out["import"]["error"] = describe(exc)
        return out
    if getattr(nose, "__file__", None) is None:
        paths = list(getattr(nose, "__path__", []))
        out["import"]["error"] = {
            "type": "NamespacePackage", "missing_module": None, "frames": [], "paths": paths,
            "message": "'nose' is a namespace package: %s has no __init__.py" % ", ".join(paths)}
        return out
    out["import"] = {"ok": True, "version": getattr(nose, "__version__", None),
                     "file": nose.__file__}
    try:
        _load(nose, out)
    except Exception as exc:  # an incomplete or foreign nose: report how far it got
        out["load_error"] = describe(exc)
    return out


def _load(nose, out):
    import importlib.util
    try:  # find, not import: importing pkg_resources costs more than the rest of the probe
        out["pkg_resources"] = importlib.util.find_spec("pkg_resources") is not None
    except (ImportError, ValueError):
        out["pkg_resources"] = False

    builtins = []
    try:
        from nose.plugins import builtin as builtin_mod
        listed = getattr(builtin_mod, "builtins", ())
    except Exception as exc:
        listed = ()
        out["builtin_error"] = describe(exc)
    nose_dir = os.path.dirname(nose.__file__)
    for module, cls in listed:
        file_base = os.path.join(os.path.dirname(nose_dir), *module.split("."))
        item = {"module": module, "cls": cls, "ok": True, "error": None,
                "file_exists": os.path.exists(file_base + ".py") or os.path.isdir(file_base)}
        try:
            mod = __import__(module, globals(), locals(), [cls])
            getattr(mod, cls)
        except Exception as exc:
            item["ok"] = False
            item["error"] = describe(exc)
        builtins.append(item)
    out["builtins"] = builtins

    from nose.plugins import manager
    out["entry_points_supported"] = issubclass(manager.DefaultPluginManager,
                                               manager.EntryPointPluginManager)
    out["entry_points"] = _entry_points(manager)

    from optparse import OptionParser

    from nose.config import Config, all_config_files
    from nose.plugins.manager import NoPlugins
    core = Config(env={}, plugins=NoPlugins()).getParser()
    core_opts = set(s for o in core.option_list for s in o._short_opts + o._long_opts)
    out["core_options"] = sorted(core_opts)

    env = _WatchedEnv(os.environ)
    try:
        int(dict.get(env, "NOSE_VERBOSE", 1))
    except ValueError:  # nose itself dies on it; the config section reports it
        dict.pop(env, "NOSE_VERBOSE")
    if _regex_error("testMatch", dict.get(env, "NOSE_TESTMATCH", "")):
        dict.pop(env, "NOSE_TESTMATCH")  # the same: Config() compiles it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = [] if env.get("NOSE_IGNORE_CONFIG_FILES") else all_config_files()
        conf = Config(env=env, files=files, plugins=manager.DefaultPluginManager())
        try:
            parser = conf.getParser()
        except Exception as exc:
            out["parser_error"] = describe(exc)
            parser = OptionParser(add_help_option=False)
    out["warnings"] = [str(w.message) for w in caught]
    disabled = {}
    for message in out["warnings"]:
        match = re.match(r"Plugin (.+?) has conflicting option string: (.*) and will be disabled",
                         message, re.S)
        if match:
            disabled[match.group(1)] = "conflicting option string: " + match.group(2)
    plugins = []
    owner = {}
    for plugin in getattr(conf.plugins, "plugins", []):
        real = getattr(plugin, "plugin", plugin)  # ZeroNinePlugin wraps the 0.9 plugin
        try:
            strings = _plugin_option_strings(plugin)
        except Exception as exc:
            strings = []
            out.setdefault("option_errors", {})[plugin.name] = describe(exc)
        module = type(real).__module__
        for s in strings:
            owner.setdefault(s, []).append(plugin.name)
        # nose names the plugin by its str() in the warning (the wrapped one for 0.9 plugins)
        reason = disabled.get(str(plugin)) or disabled.get(str(real))
        plugins.append({
            "name": plugin.name, "cls": type(real).__name__, "module": module,
            "source": "builtin" if module.startswith("nose.") else "entry_point",
            "score": getattr(plugin, "score", None),
            "enable_dest": getattr(plugin, "enableOpt", None), "options": strings,
            "enabled": bool(getattr(plugin, "enabled", False)),
            "can_configure": bool(getattr(plugin, "can_configure", True)),
            "disabled_reason": reason,
        })
    out["plugins"] = plugins
    out["options"] = []
    for option in parser.option_list:
        facts = _option_facts(option)
        names = facts["opts"]
        if any(s in core_opts for s in names):
            facts["owner"] = "nose"
        else:
            owners = [o for s in names for o in owner.get(s, [])]
            facts["owner"] = owners[0] if owners else None
        out["options"].append(facts)
    _NOSE.update(parser=parser, config=conf, files=files,
                 owners={o: f["owner"] for f in out["options"] for o in f["opts"]})


def _entry_points(manager):
    from importlib.metadata import EntryPoint
    found = []
    adapt = getattr(manager, "ZeroNinePlugin", None)
    for _dist, path, name, version, _meta, eps in installed():
        for group, ep_name, value in eps:
            if group not in NOSE_GROUPS:
                continue
            ep = EntryPoint(ep_name, value, group)
            item = {"group": group, "name": ep_name, "value": value, "dist": name,
                    "dist_version": version, "dist_path": path, "ok": True, "error": None,
                    "plugin_name": None, "score": None, "options": []}
            try:
                cls = ep.load()
                plugin = cls()
                if ep.group == "nose.plugins" and adapt is not None:
                    plugin = adapt(plugin)
                item["plugin_name"] = getattr(plugin, "name", None)
                item["score"] = getattr(plugin, "score", None)
                item["options"] = _plugin_option_strings(plugin)
            except BaseException as exc:  # noqa: B036 - plugins have been seen calling sys.exit
                if isinstance(exc, KeyboardInterrupt):
                    raise
                item["ok"] = False
                item["error"] = describe(exc)
            found.append(item)
    return found


# --------------------------------------------------------------------------------------- config

FALSE_LOOKING = ("0", "false", "no", "off", "n", "f", "none", "disable", "disabled")


def config(request):
    """The config chain and how the real parser takes each value.

    ``ignore_files`` (NOSE_IGNORE_CONFIG_FILES is set), ``files``: the files nose reads, in order
    (user files, the project's setup.cfg, then ``-c`` files), each with ``path``, ``exists``,
    ``error`` (a parse error nose would abort on) and ``values``: one per key of ``[nosetests]``
    with ``name``, ``value``, ``status`` (``ok``, ``unknown``, ``invalid``, ``ignored``,
    ``misleading``), ``message``, ``action``, ``owner`` (``nose`` or the plugin's name).
    ``env``: each NOSE_* variable with ``name``, ``value``, ``status`` (``ok``, ``unknown``,
    ``invalid``, ``misleading``), ``message``, ``options`` (the options it feeds); ``unknown`` means no option's help names it and neither
    nose nor a plugin looked it up. ``env_known``: the NOSE_* names nose and the plugins looked up.
    """
    import configparser
    import copy
    import optparse
    if "ran" not in _NOSE:
        nose_facts(request)
    if "parser" not in _NOSE:
        return {"available": False}
    from nose.config import option_blacklist
    parser = _NOSE["parser"]
    files = list(_NOSE["files"]) + [os.path.abspath(f) for f in request.get("config_files", [])]
    result = {"available": True, "ignore_files": bool(os.environ.get("NOSE_IGNORE_CONFIG_FILES")),
              "files": []}
    for path in files:
        item = {"path": os.path.abspath(path), "exists": os.path.exists(path), "error": None,
                "values": []}
        result["files"].append(item)
        cfg = configparser.RawConfigParser()
        try:
            cfg.read(path)
        except configparser.Error as exc:
            item["error"] = str(exc)
            continue
        if "nosetests" not in cfg.sections():
            continue
        values = parser.get_default_values()
        for name, value in cfg.items("nosetests"):
            entry = {"name": name, "value": value, "status": "ok", "message": None,
                     "action": None, "owner": None}
            item["values"].append(entry)
            if name in option_blacklist:
                entry["status"] = "ignored"
                continue
            option = parser.get_option("--" + name)
            if option is None:
                entry["status"] = "unknown"
                continue
            entry["action"] = option.action
            entry["owner"] = _NOSE["owners"].get("--" + name)
            try:
                option.process("--" + name, value, copy.copy(values), parser)
            except optparse.OptionValueError as exc:
                entry["status"] = "invalid"
                entry["message"] = str(exc).replace("--" + name, repr(name), 1)
                continue
            except Exception as exc:
                entry["status"] = "invalid"
                entry["message"] = "%s: %s" % (type(exc).__name__, exc)
                continue
            pattern = _regex_error(option.dest, value)
            if pattern:
                entry["status"] = "invalid"
                entry["message"] = pattern
            elif option.action in ("store_true", "store_false", "store_const", "count",
                                   "append_const") and value.strip().lower() in FALSE_LOOKING:
                entry["status"] = "misleading"
    result["env"] = _env_facts(parser)
    result["env_known"] = sorted(n for n in ENV_READ if n.startswith("NOSE_"))
    return result


# Options whose values nose compiles as regular expressions after parsing; a bad one crashes
# nose with re.error and names neither the option nor where its value came from.
REGEX_DESTS = ("testMatch", "include", "exclude", "ignoreFiles")


def _regex_error(dest, value, split=False):
    """Why nose cannot compile ``value`` of the option ``dest``, or None. ``split``: a NOSE_*
    value of a list option, which nose splits at commas (nose.util.tolist)."""
    if dest not in REGEX_DESTS or not value:
        return None
    for part in re.split(r"\s*,\s*", value) if split and dest != "testMatch" else [value]:
        try:
            re.compile(part)
        except re.error as exc:
            return "invalid regular expression %r: %s" % (part, exc)
    return None


def _env_facts(parser):
    known_config = {"NOSE_IGNORE_CONFIG_FILES", "NOSE_NOPATH", "NOSE_DEBUG", "NOSE_DEBUG_LOG",
                    "NOSE_INCLUDE_EXE", "NOSE_STOP", "NOSE_VERBOSE", "NOSE_TESTMATCH",
                    "NOSE_WHERE", "NOSE_IGNORE_FILES", "NOSE_INCLUDE", "NOSE_EXCLUDE"}
    feeds = {}
    for option in parser.option_list:
        for var in re.findall(r"\[(NOSE_[A-Z0-9_]+)\]", option.help or ""):
            feeds.setdefault(var, []).append(option)
    out = []
    for name in sorted(k for k in os.environ if k.startswith("NOSE_")):
        value = os.environ[name]
        options = feeds.get(name, [])
        entry = {"name": name, "value": value, "status": "ok", "message": None,
                 "options": [o.get_opt_string() for o in options]}
        out.append(entry)
        if not options and name not in known_config and name not in ENV_READ:
            entry["status"] = "unknown"
            continue
        for option in options:
            pattern = _regex_error(option.dest, value, split=True)
            if pattern:
                entry["status"] = "invalid"
                entry["message"] = pattern
            elif option.action in ("store_true", "store_false") and \
                    value.strip().lower() in FALSE_LOOKING:
                entry["status"] = "misleading"
            elif option.type in ("int", "float", "choice", "long", "complex"):
                try:
                    option.check_value(option.get_opt_string(), value)
                except Exception as exc:
                    entry["status"] = "invalid"
                    entry["message"] = str(exc)
        if name == "NOSE_VERBOSE":
            try:
                int(value)
            except ValueError:
                entry["status"] = "invalid"
                entry["message"] = "invalid integer value: %r" % value
    return out


# -------------------------------------------------------------------------------------- collect

def _caller_outside(skip_prefixes):
    """The innermost frame that is not in the standard library, nose or this probe."""
    frame = sys._getframe(2)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(skip_prefixes) and not path.startswith("<"):
            return frame
        frame = frame.f_back
    return None


def _guard_parsers(skip_prefixes):
    """Record calls that parse sys.argv while nose collects (optparse, argparse, getopt)."""
    import argparse
    import getopt
    import optparse

    def note(kind, args):
        if args is not None and list(args) != sys.argv[1:]:
            return
        frame = _caller_outside(skip_prefixes)
        if frame is None:
            return
        import linecache
        PARSER_CALLS.append({"kind": kind, "file": frame.f_code.co_filename,
                             "line": frame.f_lineno,
                             "code": linecache.getline(frame.f_code.co_filename,
                                                       frame.f_lineno).strip()})

    original_opt = optparse.OptionParser.parse_args

    def opt_parse_args(self, args=None, values=None):
        note("optparse", args)
        return original_opt(self, args, values)
    optparse.OptionParser.parse_args = opt_parse_args

    original_known = argparse.ArgumentParser.parse_known_args

    def parse_known_args(self, args=None, namespace=None):
        note("argparse", args)
        return original_known(self, args, namespace)
    argparse.ArgumentParser.parse_known_args = parse_known_args

    original_getopt = getopt.getopt

    def getopt_(args, *rest, **kw):
        note("getopt", args)
        return original_getopt(args, *rest, **kw)
    getopt.getopt = getopt_


def _executables(config):
    """Test files nose will skip because they are executable (``--exe`` is off)."""
    if getattr(config, "includeExe", True) or not getattr(config, "workingDir", None):
        return []
    found = []
    for root, dirs, files in os.walk(config.workingDir):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_")) and d not in (
            "node_modules", "site-packages", "build", "dist") and not d.endswith(".egg-info")]
        for name in files:
            if not name.endswith(".py") or name.startswith(("_", ".")):
                continue
            path = os.path.join(root, name)
            if config.testMatch.search(name[:-3]) and os.access(path, os.X_OK):
                found.append(path)
        if len(found) > 50:
            break
    return sorted(found)


def collect(request):
    """A ``nosetests --collect-only`` run in the project, watched from inside.

    ``ran`` (tests collected, load failures not counted), ``exit`` (the SystemExit code when something raised SystemExit),
    ``system_exit`` (where it was raised: file, line, code, inside_nose) or null, ``error``
    (an exception that escaped nose) or null, ``failures`` (test modules nose could not load:
    test id and the exception's last line), ``argv_parsers`` (sys.argv parsing by code that is not
    nose: kind, file, line, code), ``executables`` (test files skipped for their executable bit),
    ``requested_inactive`` (plugins whose enable option is set but that are not active: name and
    reason), ``enabled`` (names of the active plugins), ``working_dir``, ``test_match``.
    """
    import sysconfig
    stdlib = [sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]]
    out = {"ran": None, "exit": None, "system_exit": None, "error": None, "failures": [],
           "argv_parsers": [], "executables": [], "requested_inactive": [], "enabled": [],
           "working_dir": None, "test_match": None}
    try:
        import nose
        from nose.core import TestProgram
    except BaseException as exc:  # noqa: B036
        out["error"] = describe(exc)
        return out
    nose_dir = os.path.dirname(os.path.abspath(nose.__file__))
    here = os.path.abspath(__file__)
    skip = tuple(os.path.abspath(p) + os.sep for p in stdlib) + (nose_dir + os.sep, here)
    _guard_parsers(skip)
    from nose.failure import Failure
    from nose.plugins import Plugin

    class Watch(Plugin):
        """Sees each test before collect-only turns it into a pass, to spot load failures."""
        name = "harness-doctor-watch"
        score = 10 ** 6
        enabled = True

        def options(self, parser, env):
            pass

        def configure(self, options, conf):
            self.enabled = True

        def prepareTestCase(self, test):
            inner = getattr(test, "test", None)
            if isinstance(inner, Failure):
                text = "".join(traceback.format_exception(inner.exc_class, inner.exc_val,
                                                          inner.tb))
                last = [line for line in text.strip().splitlines() if line.strip()]
                out["failures"].append({"test": str(getattr(inner, "address", lambda: None)()
                                                    or test),
                                        "error": last[-1] if last else "",
                                        "traceback": text[-2000:]})
    if request.get("timeout"):
        # just before the doctor gives up, show where collection is stuck
        import faulthandler
        timeout = float(request["timeout"])
        faulthandler.dump_traceback_later(max(timeout - 1.0, timeout * 0.8), exit=False)
    argv = ["nosetests", "--collect-only"] + list(request.get("argv", []))
    sys.argv = list(argv)
    program = None

    from nose import core
    seen = {}
    original_run = core.TextTestRunner.run

    def run(self, test):
        seen["result"] = original_run(self, test)
        return seen["result"]
    core.TextTestRunner.run = run
    from nose.plugins import manager
    original_configure = manager.PluginManager.configure

    def configure(self, options, conf):
        # nose drops disabled plugins from its list here; remember them all first
        seen.setdefault("plugins", list(self._plugins))
        return original_configure(self, options, conf)
    manager.PluginManager.configure = configure
    original_parse = TestProgram.parseArgs

    def parse_args(self, argv_):
        seen["program"] = self
        return original_parse(self, argv_)
    TestProgram.parseArgs = parse_args
    try:
        program = TestProgram(argv=argv, exit=False, addplugins=[Watch()])
    except SystemExit as exc:
        out["exit"] = exc.code if isinstance(exc.code, int) or exc.code is None else str(exc.code)
        tb = frames(exc, limit=30)
        raiser = None
        for fr in reversed(tb):
            path = os.path.abspath(fr["file"])
            if not path.startswith(skip):
                raiser = fr
                break
        inside = raiser is None
        raiser = raiser or (tb[-1] if tb else None)
        if raiser:
            raiser = dict(raiser, inside_nose=inside,
                          in_optparse=any(f["file"].endswith("optparse.py") for f in tb))
        out["system_exit"] = raiser
    except BaseException as exc:  # noqa: B036
        out["error"] = describe(exc)
    program = program or seen.get("program")
    if program is not None:
        result = seen.get("result")
        if result is not None:
            out["ran"] = result.testsRun - len(out["failures"])
        config_ = getattr(program, "config", None)
        if config_ is not None:
            out["working_dir"] = getattr(config_, "workingDir", None)
            match = getattr(config_, "testMatch", None)
            out["test_match"] = getattr(match, "pattern", None)
            try:
                out["executables"] = _executables(config_)
            except Exception:
                pass
            options = getattr(config_, "options", None)
            for plugin in seen.get("plugins", []):
                if plugin.name == Watch.name:
                    continue
                if getattr(plugin, "enabled", False):
                    out["enabled"].append(plugin.name)
                    continue
                dest = getattr(plugin, "enableOpt", None)
                if dest and options is not None and getattr(options, dest, None):
                    reason = ("nose disabled it: conflicting option string"
                              if not getattr(plugin, "can_configure", True)
                              else "it turned itself off in configure()")
                    out["requested_inactive"].append({"name": plugin.name, "reason": reason})
    out["argv_parsers"] = PARSER_CALLS
    return out


# ----------------------------------------------------------------------------------------- main

SECTIONS = (("interp", interp), ("dists", dists), ("resolve", resolve), ("nose", nose_facts),
            ("config", config))


def main(argv):
    real_stdout = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the inspected code prints goes to stderr, the JSON alone to stdout
    sys.stdout = sys.stderr
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    mode = argv[1] if len(argv) > 1 else "facts"
    request = json.loads(argv[2]) if len(argv) > 2 else {}
    if request.get("project"):
        os.chdir(request["project"])
    out = {"probe": PROBE_VERSION, "mode": mode, "sections": {}, "failed": {}}
    if sys.version_info < (3, 8):
        out["unsupported"] = "%d.%d.%d" % sys.version_info[:3]
        wanted = []
    elif mode == "collect":
        wanted = [("collect", collect)]
    else:
        names = request.get("sections") or [name for name, _ in SECTIONS]
        wanted = [(name, fn) for name, fn in SECTIONS if name in names]
    for name, fn in wanted:
        try:
            out["sections"][name] = fn(request)
        except BaseException:  # noqa: B036 - report it and keep the other sections
            out["failed"][name] = traceback.format_exc()
    real_stdout.write(json.dumps(out, default=repr))
    real_stdout.flush()
    os._exit(0)  # skip atexit hooks of inspected code: the facts are out


if __name__ == "__main__":
    main(sys.argv)
