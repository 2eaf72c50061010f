"""Small Tornado apps for the web suites: each factory or handler shows one behaviour."""

import asyncio
import json
import os
import time

import tornado.web

SHUTDOWNS = []  # names of apps whose shutdown() the harness called


class Echo(tornado.web.RequestHandler):
    """Answers with what the factory received and the request's own details."""

    def get(self):
        services = self.settings.get("services")
        self.write({
            "pg_url": getattr(services, "pg_url", None),
            "amqp_url": getattr(services, "amqp_url", None),
            "names": getattr(services, "names", None),
            "greeting": self.settings.get("greeting"),
        })

    def post(self):
        self.set_header("X-Echo-Type", self.request.headers.get("Content-Type", ""))
        self.write({"received": json.loads(self.request.body)})


class Boom(tornado.web.RequestHandler):
    def get(self):
        raise ValueError("kaboom from the handler")


class Missing(tornado.web.RequestHandler):
    def get(self):
        raise tornado.web.HTTPError(404, "no such thing here")


class Greeting(tornado.web.RequestHandler):
    def initialize(self, word="hello"):
        self.word = word

    def get(self):
        self.write(self.word)


class CallbackBoom(tornado.web.RequestHandler):
    """Schedules a callback that fails after the response: not a handler error, still a bug."""

    def get(self):
        asyncio.get_running_loop().call_soon(_fail_later)
        self.write("scheduled")


def _fail_later():
    raise RuntimeError("a callback on the app's loop failed")


class Slow(tornado.web.RequestHandler):
    def get(self):
        time.sleep(float(self.get_argument("seconds", "1")))  # blocks the loop on purpose
        self.write("late")


class ClosingApp(tornado.web.Application):
    def shutdown(self):
        SHUTDOWNS.append(self.settings["name"])


ROUTES = [("/", Echo), ("/boom", Boom), ("/missing", Missing), ("/callback", CallbackBoom),
          ("/slow", Slow)]


def make_app(services):
    return tornado.web.Application(ROUTES, services=services, greeting="from make_app")


def make_app_without_services():
    return tornado.web.Application(ROUTES, greeting="no arguments")


async def make_app_async(services):
    await asyncio.sleep(0)
    return tornado.web.Application(ROUTES, services=services, greeting="async")


def make_closing_app(services):
    return ClosingApp(ROUTES, services=services, name="closing")


def make_slow_to_answer(services):
    return tornado.web.Application([("/", Slow)])


def not_an_app(services):
    return {"routes": ROUTES}


def broken_factory(services):
    raise KeyError("DATABASE_NAME")


def exit_at_once(services):
    print(f"bye from a dying app (password in {services.pg_url})", flush=True)
    os._exit(3)


NOT_CALLABLE = 42


def leaks_its_password(services):
    raise ConnectionError(f"cannot connect with {services.pg_url.split('@')[0].split(':')[-1]}")
