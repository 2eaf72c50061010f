"""Service URLs: parsing, and masking the password before anything is printed."""

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"

_DSN_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
# the password runs to the netloc's last '@', as urlsplit reads it: "u:p@ss@host" hides "p@ss"
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/?#@\s]*:)([^/?#\s]*)(@)", re.IGNORECASE)


def mask(url):
    """Return ``url`` with its password replaced by ``***``.

    Works on URLs (``postgresql://u:secret@h/db``, ``amqp://guest:guest@h//``) and on libpq
    key=value DSNs (``host=h password=secret``).
    """
    if not url:
        return url
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), str(url))
    return _DSN_PASSWORD.sub(lambda m: m.group(1) + MASK, text)


def mask_text(text, *secrets):
    """Mask passwords in free text, such as a server's error message or a log tail."""
    text = mask(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def parts(url):
    """Split a URL into (scheme, user, password, host, port, path); missing parts are None."""
    split = urlsplit(url)
    return (
        split.scheme,
        unquote(split.username) if split.username else None,
        unquote(split.password) if split.password else None,
        split.hostname,
        split.port,
        split.path,
    )


def raw_at(url):
    """True when the user or password of URL ``url`` holds an unencoded '@'.

    urlsplit reads the netloc up to its last '@'; libpq stops at the first and takes the rest of
    the password for the host.
    """
    return "://" in url and urlsplit(url).netloc.count("@") > 1


def address(host, port):
    """``host:port``, with an IPv6 host bracketed: ``[::1]:5432``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def with_path(url, path):
    """Return ``url`` with its path replaced, e.g. to point at another database."""
    split = urlsplit(url)
    return urlunsplit((split.scheme, split.netloc, path, split.query, split.fragment))


def amqp_params(url, error):
    """py-amqp ``Connection`` keyword arguments for an ``amqp://`` or ``amqps://`` URL.

    ``error`` is the caller's layer error type (``ServiceError``, ``FixtureError``), raised with a
    masked URL and the fix when the URL is not an AMQP URL. ``amqp://h``, ``amqp://h/`` and
    ``amqp://h//`` all mean the default vhost ``/``; ``%2F`` is decoded as usual.
    """
    split = urlsplit(url)
    fix = "use amqp://user:password@host:5672/vhost"
    if split.scheme not in ("amqp", "amqps"):
        raise error(f"not an AMQP URL: {mask(url)}", fix=fix)
    try:
        port = split.port or (5671 if split.scheme == "amqps" else 5672)
    except ValueError:
        raise error(f"bad port in AMQP URL: {mask(url)}", fix=fix) from None
    host = split.hostname or "localhost"
    return {
        "host": address(host, port),
        "userid": unquote(split.username) if split.username else "guest",
        "password": unquote(split.password) if split.password else "guest",
        "virtual_host": unquote(split.path[1:]) if len(split.path) > 1 else "/",
        "ssl": split.scheme == "amqps",
    }
