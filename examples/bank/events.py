"""The bank's events: one JSON message per transfer on a topic exchange, with publisher confirms.

A transfer publishes ``transfer.created`` with headers ``{"source": "bank", "schema": 1}``, the
transfer's id as correlation id, and a JSON body such as
``{"transfer": "<uuid>", "from": 1, "to": 2, "amount": "10.50", "currency": "EUR"}``.

py-amqp connections are not thread-safe and block, so one worker thread owns the connection and
every publish runs there. ``confirm_publish=True`` makes ``basic_publish`` wait for the broker's
ack, so a transfer is answered only once its event is safely on the broker.
"""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

import amqp

HEADERS = {"source": "bank", "schema": 1}


class Events:
    def __init__(self, url, exchange, timeout=5.0):
        self.url = url
        self.exchange = exchange
        self.timeout = timeout
        self.connection = None
        self.channel = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="bank-events")

    async def publish(self, routing_key, payload, correlation_id=None):
        await asyncio.get_running_loop().run_in_executor(
            self.executor, self._publish, routing_key, payload, correlation_id)

    def _publish(self, routing_key, payload, correlation_id):
        message = amqp.Message(json.dumps(payload), content_type="application/json",
                               delivery_mode=2, correlation_id=correlation_id,
                               application_headers=HEADERS)
        if self.channel is None:
            self._connect()
        try:
            self.channel.basic_publish(message, exchange=self.exchange, routing_key=routing_key)
        except (OSError, amqp.exceptions.ConnectionError):
            # The broker closed an idle connection: reconnect once and publish again.
            self._disconnect()
            self._connect()
            self.channel.basic_publish(message, exchange=self.exchange, routing_key=routing_key)

    def _connect(self):
        split = urlsplit(self.url)
        vhost = unquote(split.path[1:]) if len(split.path) > 1 else "/"
        self.connection = amqp.Connection(
            host=f"{split.hostname or 'localhost'}:{split.port or 5672}",
            userid=unquote(split.username or "guest"), password=unquote(split.password or "guest"),
            virtual_host=vhost, confirm_publish=True, connect_timeout=self.timeout,
            read_timeout=self.timeout, write_timeout=self.timeout)
        self.connection.connect()
        self.channel = self.connection.channel()

    def _disconnect(self):
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            try:
                connection.close()
            except (OSError, amqp.exceptions.AMQPError):
                pass  # already gone

    def close(self):
        self.executor.submit(self._disconnect).result()
        self.executor.shutdown(wait=True)
