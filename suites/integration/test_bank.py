"""End to end: the example bank (examples/bank) on a live server, with real PostgreSQL and RabbitMQ.

Each test sees the accounts and transfers of fixtures/accounts.yaml and fixtures/transfers.yaml,
reloaded before it (the app opens its own connections, so "reload" rather than "rollback"), and
the exchanges and queues of fixtures/bank_events.yaml, purged and refilled before it. The app is
started once for the module, against the fixtures' database and the run's scoped AMQP names.

Run it (``./dev demo`` does, on private servers)::

    nosetests --with-services --with-pg-fixtures --pg-fixtures-schema=fixtures/bank_schema.sql \\
        --with-amqp-fixtures --with-tornado suites/integration
"""

from decimal import Decimal

from harness.errors import ConfigError
from harness.testing import amqp as mq
from harness.testing import pg, web
from harness.testing.web import LiveAppTestCase, base_url, fetch

COMMAND = ("nosetests --with-services --with-pg-fixtures "
           "--pg-fixtures-schema=fixtures/bank_schema.sql --with-amqp-fixtures --with-tornado "
           "suites/integration")

pg_fixtures = ["accounts.yaml", "transfers.yaml"]
pg_isolation = "reload"
amqp_fixtures = ["bank_events.yaml"]
tornado_app = "examples.bank.app:make_app"


def setup_module():
    # One clear error, rather than every test failing on its first fetch or message.
    missing = [flag for flag, enabled in (("--with-amqp-fixtures", mq.active()),
                                          ("--with-tornado", web.managed)) if not enabled]
    if missing:
        raise ConfigError(f"this suite runs with the harness's plugins; missing: "
                          f"{', '.join(missing)}", fix=f"run: {COMMAND}")


def transfer(source, target, amount, **extra):
    return fetch("/transfers", "POST", json={"from_account": pg.key(source),
                                             "to_account": pg.key(target),
                                             "amount": amount, **extra})


def balances(*labels):
    return [pg.row(label)["balance"] for label in labels]


def sources(messages):
    """Who published each message: "fixture" (bank_events.yaml) or "bank" (the app)."""
    return [message.headers.get("source") for message in messages]


def test_health():
    assert fetch("/health").json() == {"ok": True}


def test_accounts_come_from_the_fixtures():
    response = fetch("/accounts")
    assert response.status == 200, response
    accounts = {account["owner"]: account for account in response.json()}
    assert set(accounts) == {"Alice Martin", "Bob Stone", "Carol Nowak", "no"}
    alice = accounts["Alice Martin"]
    assert alice["id"] == pg.key("alice")
    assert alice["balance"] == "1000.00"  # numeric(14, 2), exact
    assert alice["tags"] == ["vip", "newsletter"]
    assert alice["profile"] == {"language": "fr", "notify": True}
    assert alice["public_id"] == "5f0c1b6e-4a51-4d4e-9a87-0d7f1c3f2a11"
    assert accounts["no"]["currency"] == "NOK"  # YAML 1.1 would have made the owner False


def test_one_account_and_a_missing_one():
    response = fetch(f"/accounts/{pg.key('carol')}")
    assert response.json()["status"] == "frozen", response
    missing = fetch("/accounts/4242")
    assert missing.status == 404, missing
    assert missing.json() == {"error": "no account 4242"}


def test_a_fixture_transfer_is_served_by_its_derived_key():
    response = fetch(f"/transfers/{pg.key('rent')}")
    assert response.status == 200, response
    rent = response.json()
    assert (rent["from_account"], rent["to_account"]) == (pg.key("alice"), pg.key("bob"))
    assert rent["amount"] == "120.00"
    assert rent["client_ip"] == "192.0.2.10"


def test_a_transfer_moves_money_records_it_and_publishes_one_event():
    response = transfer("alice", "bob", "250.25", note="bike")
    assert response.status == 201, response
    created = response.json()
    assert response.headers["Location"] == f"/transfers/{created['id']}"

    # The database, seen through the harness's own connection.
    assert balances("alice", "bob") == [Decimal("749.75"), Decimal("500.75")]
    with pg.cursor() as cursor:
        cursor.execute("SELECT amount, note, host(client_ip) AS ip FROM transfers WHERE id = %s",
                       (created["id"],))
        assert cursor.fetchone() == {"amount": Decimal("250.25"), "note": "bike",
                                     "ip": "127.0.0.1"}

    # The event, on the queue the fixtures bound to bank.events.
    event = mq.assert_received(
        "notifications", routing_key="transfer.created", headers={"source": "bank"},
        json={"transfer": created["id"], "from": pg.key("alice"), "to": pg.key("bob"),
              "amount": "250.25", "currency": "EUR"})
    assert event.properties["correlation_id"] == created["id"]
    assert event.properties["delivery_mode"] == 2


def test_each_test_starts_from_the_fixtures_again():
    # The previous test moved 250.25 from alice to bob; the fixtures were reloaded since, and
    # the queues hold the fixture's events only.
    assert balances("alice", "bob") == [Decimal("1000.00"), Decimal("250.50")]
    assert sources(mq.drain("notifications")) == ["fixture"]


def test_refused_transfers_change_nothing_and_publish_nothing():
    cases = [
        (("bob", "alice", "5000"), 409, "insufficient funds in account"),
        (("alice", "carol", "1"), 409, "is not open"),
        (("alice", "norway", "1"), 409, "currency mismatch: EUR to NOK"),
        (("alice", "bob", "-3"), 409, "amount must be positive"),
    ]
    for args, status, reason in cases:
        response = transfer(*args)
        assert response.status == status, response
        assert reason in response.json()["error"], response
    unknown = fetch("/transfers", "POST", json={"from_account": pg.key("alice"),
                                                "to_account": 999, "amount": "1"})
    assert unknown.status == 404 and unknown.json() == {"error": "no account 999"}, unknown
    assert balances("alice", "bob", "carol") == [Decimal("1000.00"), Decimal("250.50"),
                                                 Decimal("0.00")]
    with pg.cursor() as cursor:
        cursor.execute("SELECT count(*) AS n FROM transfers")
        assert cursor.fetchone()["n"] == 2  # rent and refund, from the fixtures
    # Only the fixture's own event is there: the refused transfers published nothing.
    assert sources(mq.drain("notifications")) == ["fixture"]


def test_bad_requests_are_400():
    for body in ("not json", '{"from_account": "alice", "to_account": 2, "amount": 1}',
                 '{"from_account": 1, "to_account": 2, "amount": "ten"}', "[1, 2]"):
        response = fetch("/transfers", "POST", body=body)
        assert response.status == 400, (body, response)


class SubprocessTransferTest(LiveAppTestCase):
    """The same service in a child process (as in production): one transfer, end to end."""

    tornado_mode = "subprocess"  # the module's app, in a process of its own for this class

    def test_transfer_end_to_end(self):
        response = self.fetch("/transfers", "POST", json={"from_account": pg.key("bob"),
                                                          "to_account": pg.key("alice"),
                                                          "amount": "0.50"})
        self.assertEqual(response.status, 201, response)
        self.assertEqual(balances("bob", "alice"), [Decimal("250.00"), Decimal("1000.50")])
        mq.assert_received("audit", json={"transfer": response.json()["id"],
                                          "from": pg.key("bob"), "to": pg.key("alice"),
                                          "amount": "0.50", "currency": "EUR"})


class TestTemplateClones:
    """A fresh clone of the fixtures' database per test: the app is restarted against each."""

    pg_isolation = "template"
    seen = []  # (database URL, app URL) of each test

    def check_fresh_clone(self):
        assert fetch(f"/accounts/{pg.key('bob')}").json()["balance"] == "250.50"
        response = transfer("bob", "alice", "250.50")  # empty bob's account in this clone
        assert response.status == 201, response
        assert balances("bob") == [Decimal("0.00")]
        self.seen.append((pg.url(), base_url()))

    def test_first_clone(self):
        self.check_fresh_clone()

    def test_second_clone(self):
        self.check_fresh_clone()
        (first_db, first_app), (second_db, second_app) = self.seen[-2:]
        assert first_db != second_db and first_app != second_app, self.seen
