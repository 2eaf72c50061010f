"""Is a server reachable at this URL? Checks with a short timeout, errors with the password masked.

``check_pg(url)`` and ``check_amqp(url)`` first open a TCP connection to the host and port (so a
firewall or a typo fails in ``timeout`` seconds, not after the OS's minutes), then log in and run a
trivial query (``SELECT 1``) or open a channel. On failure they raise ``ServiceError`` naming the
host and port tried and where the URL came from; the URL is shown masked.

    >>> check_pg("postgresql://postgres@127.0.0.1:5432/postgres")
    'PostgreSQL 15.20'
"""

import socket

from harness import urls
from harness.errors import ServiceError
from harness.urls import mask, mask_text

DEFAULT_TIMEOUT = 3.0


def pg_address(url):
    """(host, port) a libpq URL or key=value DSN points at; host None for a Unix socket."""
    from psycopg2.extensions import parse_dsn

    if urls.raw_at(url):
        raise ServiceError(f"the user or password of the PostgreSQL URL {mask(url)} holds a "
                           "raw '@': libpq would read the rest of the password as the host",
                           fix="percent-encode each '@' in them as %40 (p@ss becomes p%40ss)")
    try:
        params = parse_dsn(url)
    except Exception as error:  # psycopg2.ProgrammingError: the DSN itself is malformed
        raise ServiceError(f"not a PostgreSQL URL: {mask(url)}",
                           detail=mask_text(str(error).strip()),
                           fix="use postgresql://user[:password]@host:port/dbname") from None
    host = params.get("host") or "localhost"
    port = int(params.get("port") or 5432)
    return (None if host.startswith("/") else host), port


def amqp_params(url):
    """py-amqp ``Connection`` keyword arguments for an AMQP URL; a bad URL is a ServiceError."""
    return urls.amqp_params(url, ServiceError)


def _reach(kind, host, port, url, source, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as error:
        reason = "timed out" if isinstance(error, socket.timeout) else (error.strerror or str(error))
        raise ServiceError(
            f"{kind} is unreachable at {urls.address(host, port)} ({reason}){_from(source)}",
            detail=f"url: {mask(url)}",
            fix=f"start {kind} there, or correct the URL" + (f" in {source}" if source else "")
                + "; without any URL the harness starts a private instance") from None


def _from(source):
    return f", URL from {source}" if source else ""


def check_pg(url, source=None, timeout=DEFAULT_TIMEOUT):
    """Connect, run ``SELECT 1``; return ``"PostgreSQL <version>"`` or raise ``ServiceError``."""
    import psycopg2

    host, port = pg_address(url)
    if host:
        _reach("PostgreSQL", host, port, url, source, timeout)
    password = psycopg2.extensions.parse_dsn(url).get("password")
    try:
        connection = psycopg2.connect(url, connect_timeout=max(int(timeout), 1))
    except psycopg2.Error as error:
        raise ServiceError(
            f"PostgreSQL at {urls.address(host or 'socket', port)} refused the connection"
            f"{_from(source)}",
            detail=f"url: {mask(url)}\n" + mask_text(str(error).strip(), password),
            fix="check the user, password and database name in the URL") from None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version')")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    finally:
        connection.close()


def check_amqp(url, source=None, timeout=DEFAULT_TIMEOUT):
    """Log in and open a channel; return ``"RabbitMQ <version>"`` or raise ``ServiceError``."""
    import amqp

    params = amqp_params(url)
    host, _, port = params["host"].rpartition(":")
    host = host.strip("[]")  # py-amqp wants [::1]:5672, a socket wants ::1
    _reach("RabbitMQ", host, int(port), url, source, timeout)
    connection = amqp.Connection(connect_timeout=timeout, **params)
    try:
        connection.connect()
        connection.channel().close()
        props = connection.server_properties or {}
        product = props.get("product", "AMQP broker")
        return f"{product} {props.get('version', '')}".strip()
    except (amqp.exceptions.AMQPError, OSError) as error:
        raise ServiceError(
            f"RabbitMQ at {params['host']} refused the connection{_from(source)}",
            detail=f"url: {mask(url)}\n" + mask_text(str(error).strip(), params["password"]),
            fix="check the user, password and vhost in the URL") from None
    finally:
        try:
            connection.collect() if not connection.connected else connection.close()
        except Exception:  # closing a half-open connection must not hide the real error
            pass
