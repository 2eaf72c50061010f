"""The example bank: accounts and transfers over HTTP, PostgreSQL for state, RabbitMQ for events.

It is an ordinary Tornado service; nothing in it knows about nose or the harness. The harness runs
it from its factory, ``examples.bank.app:make_app``, with the URLs of a test database loaded from
``fixtures/accounts.yaml`` (schema ``fixtures/bank_schema.sql``) and of a broker where
``fixtures/bank_events.yaml`` declared the ``bank.events`` exchange.

Endpoints::

    GET  /health                 {"ok": true}
    GET  /accounts               every account, by id
    GET  /accounts/<id>          one account, or 404
    POST /transfers              {"from_account", "to_account", "amount", "note"?} -> 201 + transfer;
                                 404 unknown account, 409 refused (funds, status, currency),
                                 400 bad input; publishes "transfer.created" on bank.events
    GET  /transfers/<uuid>       one transfer, or 404
"""
