"""The bank's PostgreSQL access: dict cursors, the ``transfer`` stored function, a thread pool.

psycopg2 blocks, so every call runs on a small thread pool and handlers ``await`` it; the event
loop keeps serving other requests meanwhile. Each call takes a connection from a pool, runs in one
transaction, and gives the connection back.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import psycopg2.errors
import psycopg2.extras
import psycopg2.pool

ACCOUNT_COLUMNS = "id, public_id, owner, status, currency, balance, tags, profile, opened_at"
TRANSFER_COLUMNS = "id, from_account, to_account, amount, note, client_ip, created_at"


class Refused(Exception):
    """The ``transfer`` function refused (SQLSTATE P0001): its message says why."""


class Store:
    def __init__(self, dsn, size=4):
        self.pool = psycopg2.pool.ThreadedConnectionPool(1, size, dsn)
        self.executor = ThreadPoolExecutor(size, thread_name_prefix="bank-db")

    async def _run(self, work, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._in_transaction,
                                                                work, *args)

    def _in_transaction(self, work, *args):
        connection = self.pool.getconn()
        try:
            with connection:  # commit on success, roll back on error
                with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                    return work(cursor, *args)
        finally:
            self.pool.putconn(connection)

    async def accounts(self):
        return await self._run(_accounts)

    async def account(self, account_id):
        return await self._run(_account, account_id)

    async def transfer(self, from_id, to_id, amount, note, client_ip):
        return await self._run(_transfer, from_id, to_id, amount, note, client_ip)

    async def get_transfer(self, transfer_id):
        return await self._run(_get_transfer, transfer_id)

    def close(self):
        self.executor.shutdown(wait=True)
        self.pool.closeall()


def _accounts(cursor):
    cursor.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id")
    return cursor.fetchall()


def _account(cursor, account_id):
    cursor.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = %s", (account_id,))
    return cursor.fetchone()


def _transfer(cursor, from_id, to_id, amount, note, client_ip):
    try:
        cursor.callproc("transfer", (from_id, to_id, amount))
    except psycopg2.errors.RaiseException as error:
        raise Refused(error.diag.message_primary) from None
    transfer_id = cursor.fetchone()["transfer"]
    cursor.execute(f"UPDATE transfers SET note = %s, client_ip = %s WHERE id = %s "
                   f"RETURNING {TRANSFER_COLUMNS}, "
                   f"(SELECT currency FROM accounts WHERE id = from_account)",
                   (note, client_ip, transfer_id))
    return cursor.fetchone()


def _get_transfer(cursor, transfer_id):
    cursor.execute(f"SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = %s", (transfer_id,))
    return cursor.fetchone()
