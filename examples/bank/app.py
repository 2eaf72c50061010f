"""The bank's Tornado application: handlers, and ``make_app``, the factory the harness calls.

``make_app(services)`` needs three things from ``services``: ``pg_url`` (the database),
``amqp_url`` (the broker) and ``name("bank.events")`` (the exchange's real name, which the AMQP
fixtures scope per run). In production the same factory would get them from configuration.
"""

import datetime
import decimal
import json
import uuid

import tornado.web

from examples.bank.events import Events
from examples.bank.store import Refused, Store

EXCHANGE = "bank.events"


def make_app(services):
    """The bank application, connected to ``services.pg_url`` and ``services.amqp_url``."""
    return BankApp(Store(services.pg_url), Events(services.amqp_url, services.name(EXCHANGE)))


class BankApp(tornado.web.Application):
    def __init__(self, store, events):
        super().__init__([
            (r"/health", Health),
            (r"/accounts", Accounts),
            (r"/accounts/([0-9]+)", Account),
            (r"/transfers", Transfers),
            (r"/transfers/([0-9a-fA-F-]{36})", Transfer),
        ])
        self.store = store
        self.events = events

    def shutdown(self):
        """Close the pools; the harness calls this when it stops the app."""
        self.events.close()
        self.store.close()


def _json_default(value):
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)  # amounts keep their exact digits: "120.00"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class BaseHandler(tornado.web.RequestHandler):
    @property
    def store(self):
        return self.application.store

    def send_json(self, data, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=_json_default))

    def write_error(self, status_code, **kwargs):
        error = kwargs.get("exc_info", (None, None))[1]
        reason = error.log_message if isinstance(error, tornado.web.HTTPError) else None
        self.send_json({"error": reason or self._reason}, status_code)


class Health(BaseHandler):
    def get(self):
        self.send_json({"ok": True})


class Accounts(BaseHandler):
    async def get(self):
        self.send_json(await self.store.accounts())


class Account(BaseHandler):
    async def get(self, account_id):
        account = await self.store.account(int(account_id))
        if account is None:
            raise tornado.web.HTTPError(404, f"no account {account_id}")
        self.send_json(account)


class Transfers(BaseHandler):
    async def post(self):
        request = self._request()
        try:
            transfer = await self.store.transfer(
                request["from_account"], request["to_account"], request["amount"],
                request.get("note"), self.request.remote_ip)
        except Refused as refused:
            reason = str(refused)
            raise tornado.web.HTTPError(404 if reason.startswith("no account") else 409,
                                        reason) from None
        currency = transfer.pop("currency")
        await self.application.events.publish("transfer.created", {
            "transfer": str(transfer["id"]),
            "from": transfer["from_account"],
            "to": transfer["to_account"],
            "amount": str(transfer["amount"]),
            "currency": currency.strip(),
        }, correlation_id=str(transfer["id"]))
        self.set_header("Location", f"/transfers/{transfer['id']}")
        self.send_json(transfer, 201)

    def _request(self):
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise tornado.web.HTTPError(400, "the body must be JSON") from None
        if not isinstance(body, dict):
            raise tornado.web.HTTPError(400, "the body must be a JSON object")
        for key in ("from_account", "to_account"):
            if not isinstance(body.get(key), int) or isinstance(body.get(key), bool):
                raise tornado.web.HTTPError(400, f"{key} must be an account id (an integer)")
        try:
            body["amount"] = decimal.Decimal(str(body.get("amount")))
        except decimal.InvalidOperation:
            raise tornado.web.HTTPError(400, "amount must be a number, e.g. \"12.50\"") from None
        if not body["amount"].is_finite():
            raise tornado.web.HTTPError(400, "amount must be a finite number")
        return body


class Transfer(BaseHandler):
    async def get(self, transfer_id):
        transfer = await self.store.get_transfer(transfer_id)
        if transfer is None:
            raise tornado.web.HTTPError(404, f"no transfer {transfer_id}")
        self.send_json(transfer)
