"""Which server a run gets, and what happens to it afterwards.

``provide(mode, kinds)`` returns a ``Session`` holding one URL per kind (``postgres``,
``rabbitmq``). Per kind, in ``auto`` mode:

1. a configured URL (``harness.config``: option, ``setup.cfg [harness]``, environment) is checked
   with a short timeout and used;
2. else a healthy instance recorded by ``harness services up`` is reused;
3. else a private instance is started for this session; ``Session.release()`` stops it.

``mode="external"`` allows only configured URLs (and external ones recorded by ``up``): a missing
URL is an error instead of a private server. ``mode="private"`` ignores configured URLs.

Before anything is reused, stale records are cleaned (``state.problem``): instances whose process
died or was replaced, whose port someone else holds, or whose test run ended without stopping
them. ``up``, ``down`` and ``status`` are the same steps for the ``harness services`` command.

``Session.export(os.environ)`` sets ``HARNESS_PG_URL`` / ``HARNESS_AMQP_URL``;
``release()`` restores the previous values.

``write_url_file(kind, url)`` keeps a URL that carries a password in ``<state_dir>/pg.url`` or
``amqp.url`` (mode 0600), so that ``harness services env`` can export it without printing it;
``down`` deletes the files of the kinds it stops.
"""

import contextlib
import os
from dataclasses import dataclass, field

from harness import config
from harness.errors import ConfigError, ServiceError
from harness.services import external, state
from harness.services.progress import Progress
from harness.urls import mask

KINDS = ("postgres", "rabbitmq")
MODES = ("auto", "external", "private")
ENV_VARS = {"postgres": "HARNESS_PG_URL", "rabbitmq": "HARNESS_AMQP_URL"}
LABELS = {"postgres": "PostgreSQL", "rabbitmq": "RabbitMQ"}
URL_FILES = {"postgres": "pg.url", "rabbitmq": "amqp.url"}


def parse_kinds(text):
    """``"postgres,rabbitmq"`` (also ``pg``, ``amqp``) -> a tuple of kinds, or ConfigError."""
    aliases = {"postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
               "rabbitmq": "rabbitmq", "rabbit": "rabbitmq", "amqp": "rabbitmq"}
    kinds = []
    for word in (text or "").replace(" ", ",").split(","):
        if not word:
            continue
        if word.lower() not in aliases:
            raise ConfigError(f"unknown service '{word}'",
                              fix="use postgres, rabbitmq or both: postgres,rabbitmq")
        kinds.append(aliases[word.lower()])
    return tuple(kind for kind in KINDS if kind in kinds) or KINDS


def check(kind, url, source=None, timeout=external.DEFAULT_TIMEOUT):
    """Connect to ``url`` and run a trivial query; returns the server's version string."""
    checker = external.check_pg if kind == "postgres" else external.check_amqp
    return checker(url, source=source, timeout=timeout)


def configured(kind, pg_url=None, amqp_url=None, project_dir=".", environ=None):
    """The configured URL ``Setting`` for ``kind``, or None."""
    if kind == "postgres":
        return config.pg_url(pg_url, project_dir=project_dir, environ=environ)
    return config.amqp_url(amqp_url, project_dir=project_dir, environ=environ)


def start_private(kind, owner, progress, found=None):
    """Start a private ``kind``; ``found`` is its binaries from ``binaries.find_all``, if known."""
    if kind == "postgres":
        from harness.services import postgres
        return postgres.start_private(owner=owner, progress=progress, pg=found)
    from harness.services import rabbitmq
    return rabbitmq.start_private(owner=owner, progress=progress, rabbit=found)


def _find_binaries(kinds, progress):
    # every kind to start is looked up first: one message names all that are missing
    from harness.services import binaries
    return binaries.find_all(kinds, progress=progress) if kinds else {}


def _check_record(record):
    check(record.kind, record.url, source="the state file", timeout=2.0)


def prune(statefile):
    """Discard every record that cannot be trusted; returns ``[(record, reason)]``.

    External URLs are not checked here (that costs a connection each); ``_reusable`` checks
    the one it is about to hand out, and ``status`` checks them all.
    """
    stale = []
    with statefile.edit() as records:
        for record in list(records):
            reason = state.problem(record)
            if reason:
                state.discard(record)
                records.remove(record)
                stale.append((record, reason))
    # after the records, so that a directory is reported once, with the record's reason
    stale.extend((state.Record(kind=os.path.basename(root).split("-")[2],
                               id=os.path.basename(root), url="", owner="run", root=root),
                  "directory of an instance whose server and run have ended: deleted")
                 for root in state.sweep())
    return stale


@dataclass
class Session:
    statefile: state.StateFile
    records: dict = field(default_factory=dict)      # kind -> Record (external ones too)
    started: list = field(default_factory=list)      # Records this session must stop
    stale: list = field(default_factory=list)        # (Record, reason) cleaned on the way
    _saved_env: dict = field(default_factory=dict)
    _environ: object = None

    @property
    def urls(self):
        return {kind: record.url for kind, record in self.records.items()}

    def export(self, environ=None):
        """Put ``HARNESS_PG_URL`` / ``HARNESS_AMQP_URL`` into ``environ`` (``os.environ``)."""
        environ = os.environ if environ is None else environ
        self._environ = environ
        for kind, record in self.records.items():
            name = ENV_VARS[kind]
            self._saved_env.setdefault(name, environ.get(name))
            environ[name] = record.url

    def release(self):
        """Stop what this session started, forget it in the state file, restore the env."""
        started, self.started = self.started, []
        if started:
            ids = {record.id for record in started}
            for record in started:
                state.discard(record)
            with self.statefile.edit() as records:
                records[:] = [record for record in records if record.id not in ids]
        if self._environ is not None:
            for name, value in self._saved_env.items():
                if value is None:
                    self._environ.pop(name, None)
                else:
                    self._environ[name] = value
            self._saved_env.clear()


def statefile_for(project_dir=".", environ=None, state_dir=None):
    return state.StateFile(state_dir or config.state_dir(project_dir, environ))


def provide(mode="auto", kinds=KINDS, pg_url=None, amqp_url=None, project_dir=".",
            environ=None, progress=None, state_dir=None):
    """A ``Session`` with one working URL per kind; see the module docstring for the order."""
    if mode not in MODES:
        raise ConfigError(f"unknown services mode '{mode}'", fix="use auto, external or private")
    progress = progress or Progress()
    statefile = statefile_for(project_dir, environ, state_dir)
    session = Session(statefile, stale=prune(statefile))
    try:
        plan = []
        for kind in kinds:
            setting = None if mode == "private" else configured(
                kind, pg_url, amqp_url, project_dir, environ)
            reused = None if setting else _reusable(statefile, kind, mode, session.stale)
            if not setting and not reused and mode == "external":
                raise _no_url(kind, "--services-mode")
            plan.append((kind, setting, reused))
        found = _find_binaries([kind for kind, setting, reused in plan
                                if not setting and not reused], progress)
        for kind, setting, reused in plan:
            if setting:
                with progress.step(kind, f"check {mask(setting.value)}"):
                    version = check(kind, setting.value, source=setting.source)
                session.records[kind] = state.Record(
                    kind=kind, id=f"{kind}-external", url=setting.value, owner="run",
                    external=True, source=setting.source, version=version)
                continue
            if reused:
                session.records[kind] = reused
                continue
            record = start_private(kind, "run", progress, found[kind])
            session.started.append(record)
            session.records[kind] = record
            with statefile.edit() as records:
                records.append(record)
    except BaseException:
        session.release()
        raise
    return session


def _no_url(kind, mode_option):
    option = "--pg-url" if kind == "postgres" else "--amqp-url"
    key = "pg_url" if kind == "postgres" else "amqp_url"
    return ConfigError(f"{mode_option}=external but no {LABELS[kind]} URL is configured",
                       fix=f"pass {option}, set {ENV_VARS[kind]}, or set {key} in setup.cfg "
                           f"[harness]; or use {mode_option}=auto to start a private one")


def _reusable(statefile, kind, mode, stale):
    """A healthy ``up`` record of ``kind`` usable in ``mode``, or None (stale ones are dropped)."""
    for record in statefile.records():
        if record.kind != kind or record.owner != "up":
            continue
        if record.external and mode == "private" or not record.external and mode == "external":
            continue
        reason = state.problem(record, _check_record)
        if reason is None:
            return record
        with statefile.edit() as records:
            records[:] = [each for each in records if each.id != record.id]
        state.discard(record)
        stale.append((record, reason))
    return None


def up(mode="auto", kinds=KINDS, pg_url=None, amqp_url=None, project_dir=".", environ=None,
       progress=None, state_dir=None):
    """Leave one instance per kind running for later runs.

    Returns ``([(record, action)], stale)``: ``action`` is ``reused`` (already up and healthy),
    ``started`` or ``external`` (a configured URL, checked and recorded; it replaces a private
    instance an earlier ``up`` left), and ``stale`` the ``(record, reason)`` cleaned on the way.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown services mode '{mode}'", fix="use auto, external or private")
    progress = progress or Progress()
    statefile = statefile_for(project_dir, environ, state_dir)
    stale = prune(statefile)
    plan = []
    for kind in kinds:
        setting = None if mode == "private" else configured(
            kind, pg_url, amqp_url, project_dir, environ)
        reused = _reusable(statefile, kind, mode, stale)
        if reused and (not setting or reused.external and reused.url == setting.value):
            plan.append((kind, None, reused))
        elif not setting and mode == "external":
            raise _no_url(kind, "--mode")
        else:
            plan.append((kind, setting, None))
    found = _find_binaries([kind for kind, setting, reused in plan
                            if not setting and not reused], progress)
    results = []
    for kind, setting, reused in plan:
        if reused:
            results.append((reused, "reused"))
            continue
        if setting:
            with progress.step(kind, f"check {mask(setting.value)}"):
                version = check(kind, setting.value, source=setting.source)
            record = state.Record(kind=kind, id=f"{kind}-external", url=setting.value, owner="up",
                                  external=True, source=setting.source, version=version)
            action = "external"
        else:
            record = start_private(kind, "up", progress, found[kind])
            action = "started"
        with statefile.edit() as records:
            replaced = [each for each in records if each.kind == kind and each.owner == "up"]
            records[:] = [each for each in records if each not in replaced] + [record]
        for each in replaced:
            state.discard(each)
        results.append((record, action))
    return results, stale


def down(project_dir=".", environ=None, state_dir=None, kinds=KINDS):
    """Stop the instances ``up`` left running; returns ``(stopped records, stale)``."""
    statefile = statefile_for(project_dir, environ, state_dir)
    stale = prune(statefile)
    stopped = []
    with statefile.edit() as records:
        for record in list(records):
            if record.owner == "up" and record.kind in kinds:
                state.discard(record)
                records.remove(record)
                stopped.append(record)
    for kind in kinds:
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(statefile.directory, URL_FILES[kind]))
    return stopped, stale


def status(project_dir=".", environ=None, state_dir=None):
    """Health check of every record: ``([(record, problem or None, version)], stale)``."""
    statefile = statefile_for(project_dir, environ, state_dir)
    stale = prune(statefile)
    rows = []
    for record in statefile.records():
        try:
            version = check(record.kind, record.url, source="the state file", timeout=2.0)
            rows.append((record, None, version))
        except ServiceError as error:
            rows.append((record, error.message, ""))
    return rows, stale


def write_url_file(kind, url, project_dir=".", environ=None, state_dir=None):
    """Write ``url`` to ``<state_dir>/pg.url`` or ``amqp.url``, mode 0600; returns the path."""
    directory = statefile_for(project_dir, environ, state_dir).directory
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = os.path.join(directory, URL_FILES[kind])
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(url)
    os.chmod(tmp, 0o600)  # a leftover tmp file keeps its old mode through O_TRUNC
    os.replace(tmp, path)
    return path


def running_urls(project_dir=".", environ=None, state_dir=None):
    """``{kind: url}`` of the healthy instances ``up`` recorded."""
    statefile = statefile_for(project_dir, environ, state_dir)
    prune(statefile)
    urls = {}
    for record in statefile.records():
        if record.owner == "up" and record.kind not in urls and state.problem(record) is None:
            urls[record.kind] = record.url
    return urls
