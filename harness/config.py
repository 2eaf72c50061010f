"""Where the harness's settings come from, and which source won.

Precedence, highest first: an explicit value (a command-line option), then the environment, then
``setup.cfg [harness]`` in the project directory, and last the libpq ``PG*`` variables. The
environment beats the file so that the servers a run was given (the services plugin exports
``HARNESS_PG_URL``/``HARNESS_AMQP_URL``, CI sets ``DATABASE_URL``) win over a developer's default
in setup.cfg. Every lookup returns the value together with its source, so that an error can say
"from DATABASE_URL" or "from setup.cfg:12".

Settings in ``setup.cfg``::

    [harness]
    pg_url = postgresql://postgres@127.0.0.1:5432/postgres
    amqp_url = amqp://guest:guest@127.0.0.1:5672//
    state_dir = .harness
    # where --with-services gets servers: auto, external or private (env HARNESS_SERVICES_MODE)
    services_mode = auto
    # which servers it provides (env HARNESS_SERVICES)
    services = postgres,rabbitmq

Environment variables: ``HARNESS_PG_URL``, ``DATABASE_URL`` or the libpq ``PG*`` variables for
PostgreSQL; ``HARNESS_AMQP_URL`` or ``AMQP_URL`` for RabbitMQ.
"""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from harness import inifile

SECTION = "harness"


@dataclass(frozen=True)
class Setting:
    value: str
    source: str  # "option --pg-url", "setup.cfg:12", "env HARNESS_PG_URL", ...


def project_settings(project_dir="."):
    """``{key: Entry}`` from ``setup.cfg [harness]`` of the project."""
    return inifile.section(Path(project_dir) / "setup.cfg", SECTION)


def lookup(key, *, explicit=None, option=None, env_names=(), project_dir=".", environ=None):
    """Resolve one setting; returns a ``Setting`` or None when no source sets it."""
    environ = os.environ if environ is None else environ
    if explicit:
        return Setting(explicit, f"option {option}" if option else "argument")
    for name in env_names:
        if environ.get(name):
            return Setting(environ[name], f"environment variable {name}")
    entry = project_settings(project_dir).get(key)
    if entry is not None and entry.value:
        return Setting(entry.value, f"setup.cfg [{SECTION}] {key} at {entry.where}")
    return None


_LIBPQ = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")


def pg_url(explicit=None, project_dir=".", environ=None):
    """The external PostgreSQL URL, or None when private mode applies."""
    environ = os.environ if environ is None else environ
    found = lookup("pg_url", explicit=explicit, option="--pg-url",
                   env_names=("HARNESS_PG_URL", "DATABASE_URL"),
                   project_dir=project_dir, environ=environ)
    if found or not any(environ.get(name) for name in _LIBPQ):
        return found
    user = environ.get("PGUSER", "")
    password = environ.get("PGPASSWORD")
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    host = environ.get("PGHOST", "127.0.0.1")
    if host.startswith("/"):
        host = quote(host, safe="")  # a Unix socket directory: libpq decodes %2F in the host
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address
    port = environ.get("PGPORT", "5432")
    url = f"postgresql://{auth + '@' if auth else ''}{host}:{port}/{environ.get('PGDATABASE', 'postgres')}"
    names = ", ".join(name for name in _LIBPQ if environ.get(name))
    return Setting(url, f"libpq environment variables ({names})")


def amqp_url(explicit=None, project_dir=".", environ=None):
    """The external AMQP URL, or None when private mode applies."""
    return lookup("amqp_url", explicit=explicit, option="--amqp-url",
                  env_names=("HARNESS_AMQP_URL", "AMQP_URL"),
                  project_dir=project_dir, environ=environ)


def state_dir(project_dir=".", environ=None):
    """Where services keep their state file, data directories and logs."""
    found = lookup("state_dir", env_names=("HARNESS_STATE_DIR",),
                   project_dir=project_dir, environ=environ)
    if found:
        return Path(project_dir, found.value).resolve()
    return Path(project_dir, ".harness").resolve()
