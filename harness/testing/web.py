"""Talking to the live Tornado app from a test.

Run nose with the live-app plugin and name the app::

    nosetests --with-tornado --tornado-app=examples.bank.app:make_app

or let a test module or class declare its own (it then runs for that module or class)::

    tornado_app = "examples.bank.app:make_app"      # a factory receiving harness.web.Services
    tornado_routes = "routes.yaml"                  # or a YAML route map, next to this file
    tornado_mode = "subprocess"                     # optional: "thread" (default) or "subprocess"

Tests then reach the app with plain, synchronous HTTP. Function tests use the module-level
helpers::

    from harness.testing.web import fetch

    def test_health():
        response = fetch("/health")
        assert response.status == 200, response
        assert response.json() == {"ok": True}

Test classes may use ``LiveAppTestCase``, whose ``fetch`` and ``get_url`` mirror
``tornado.testing.AsyncHTTPTestCase``; the difference is that the app runs in a real server
(its own thread or process) for the whole class or run, not on a fresh IOLoop per test::

    class AccountTest(LiveAppTestCase):
        tornado_app = "examples.bank.app:make_app"

        def test_missing_account_is_404(self):
            self.assertEqual(self.fetch("/accounts/999999").status, 404)

``LiveAppTestCase`` also works without nose (plain ``unittest`` or pytest): without the plugin,
the class starts its declared app at its first ``fetch`` and ``tearDownClass`` stops it.

A ``Response`` is never an exception: 404 and 500 come back as responses with ``status``,
``reason``, ``headers`` (case-insensitive), ``body`` (bytes), ``text`` and ``json()``. Its ``repr``
shows the status and the start of the body, so ``assert response.status == 200, response`` fails
with something readable. When a handler raises, the plugin adds the handler's traceback to the
failing test's output.
"""

import http.client
import inspect
import json as jsonlib
import unittest
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from harness import web
from harness.errors import WebError

TIMEOUT = 10.0

# The running apps, innermost last: (owner, LiveApp). The nose plugin pushes and pops them; the
# owner is the module or class whose lifetime the app has, or "run".
_active = []
managed = False  # True when the nose plugin runs the apps that modules and classes declare


def push(owner, app):
    """Make ``app`` the current app until ``pop(owner)``."""
    _active.append((owner, app))


def pop(owner):
    """Forget the app(s) pushed for ``owner``; return them (innermost first)."""
    gone = [app for key, app in _active if key is owner or key == owner]
    _active[:] = [(key, app) for key, app in _active if not (key is owner or key == owner)]
    return gone[::-1]


def clear():
    """Forget every app; return them (innermost first)."""
    gone = active()[::-1]
    del _active[:]
    return gone


def active():
    """The running apps, innermost last."""
    return [app for _, app in _active]


def current():
    """The innermost running app (a ``harness.web.LiveApp``)."""
    if not _active and not managed:
        raise WebError("no live Tornado app: the tornado plugin is not enabled",
                       fix="run nose with --with-tornado (and --tornado-app=package.module:factory "
                           "unless the module or class sets tornado_app)")
    if not _active:
        raise WebError("no live Tornado app is running for this test",
                       fix="pass --tornado-app=package.module:factory (or --tornado-routes=FILE), "
                           "or set tornado_app on the module or class")
    return _active[-1][1]


def base_url():
    """``http://127.0.0.1:PORT`` of the current app, without a trailing slash."""
    return current().url


def url(path="/"):
    """An absolute URL for ``path`` on the current app; absolute URLs pass through."""
    if urlsplit(path).scheme:
        return path
    return urljoin(base_url() + "/", path)


class Response:
    """What ``fetch`` returns: ``status``, ``reason``, ``headers``, ``body``, ``text``, ``json()``."""

    def __init__(self, method, url, status, reason, headers, body):
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    @property
    def text(self):
        charset = self.headers.get_content_charset() or "utf-8"
        return self.body.decode(charset, errors="replace")

    def json(self):
        """The body parsed as JSON; an AssertionError that shows the body when it is not JSON."""
        try:
            return jsonlib.loads(self.body)
        except ValueError:
            raise AssertionError(f"{self!r} is not JSON") from None

    def __repr__(self):
        body = self.text
        if len(body) > 300:
            body = body[:300] + "..."
        return f"<Response {self.method} {self.url} -> {self.status} {self.reason}: {body!r}>"


def fetch(path, method="GET", *, body=None, json=None, headers=None, timeout=TIMEOUT):
    """Send one HTTP request to the current app and return its ``Response``.

    ``path`` is relative to the app (``"/accounts/1"``) or an absolute URL. ``json`` sends a JSON
    body with its content type; ``body`` sends bytes or text as they are. Redirects are not
    followed (look at ``response.headers["Location"]``). The connection is closed afterwards, so a
    test never leaves the server holding a socket.
    """
    target = url(path)
    headers = dict(headers or {})
    if json is not None:
        body = jsonlib.dumps(json)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers.setdefault("Connection", "close")
    split = urlsplit(target)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=timeout)
    try:
        target_path = (split.path or "/") + (f"?{split.query}" if split.query else "")
        connection.request(method, target_path, body=body, headers=headers)
        response = connection.getresponse()
        return Response(method, target, response.status, response.reason, response.msg,
                        response.read())
    finally:
        connection.close()


class LiveAppTestCase(unittest.TestCase):
    """A TestCase with ``self.fetch(path)`` and ``self.get_url(path)`` against the live app.

    Declare the app on the class (``tornado_app``, ``tornado_routes``, ``tornado_mode``) or let the
    nose plugin's ``--tornado-app`` provide it.
    """

    tornado_app = None
    tornado_routes = None
    tornado_mode = None

    @classmethod
    def tearDownClass(cls):
        own = cls.__dict__.get("_own_app")
        if own is not None:
            cls._own_app = None
            pop(cls)
            own.stop()
        super().tearDownClass()

    @property
    def app(self):
        """The running ``harness.web.LiveApp``."""
        cls = type(self)
        if not managed and (cls.tornado_app or cls.tornado_routes):
            # No plugin runs the declared app (plain unittest, pytest): start it here, once
            # for the class; tearDownClass stops it.
            if cls.__dict__.get("_own_app") is None:
                source = web.AppSource.parse(cls.tornado_app, cls.tornado_routes,
                                             base_dir=Path(inspect.getfile(cls)).parent)
                cls._own_app = web.serve(source, mode=cls.tornado_mode or "thread")
                push(cls, cls._own_app)
            return cls._own_app
        return current()

    def get_url(self, path="/"):
        """The absolute URL of ``path`` on the app (as in ``AsyncHTTPTestCase.get_url``)."""
        return urljoin(self.app.url + "/", path)

    def fetch(self, path, method="GET", **kwargs):
        """``fetch(path, method, body=, json=, headers=, timeout=)``, returning a ``Response``."""
        return fetch(self.get_url(path), method, **kwargs)
