"""The key store's tables in PostgreSQL (`keystore_backends.py` says what they hold), used when
the helpdesk's stores are in PostgreSQL: `keystore_keys`, `keystore_persons`, `keystore_parts`
and `keystore_forgotten`, in the URL's `schema` if it names one."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, unquote, urlparse

from .keystore_backends import TABLES


class PostgresBackend:
    """Tables `keystore_keys`, `keystore_persons`, `keystore_forgotten` in the helpdesk's
    database (its URL's `schema`, if any): apart from every service's tables."""

    def __init__(self, database_url: str):
        import psycopg  # the optional extra, only when PostgreSQL is configured

        url = urlparse(database_url)
        schema = parse_qs(url.query).get("schema", [""])[0]
        self.p = f'"{schema}".keystore_' if schema else "keystore_"
        self._db = psycopg.connect(
            dbname=unquote(url.path.lstrip("/")) or "postgres", host=url.hostname or "127.0.0.1",
            port=url.port or 5432, user=unquote(url.username or "postgres"),
            password=unquote(url.password or "") or None, autocommit=True)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("SELECT pg_advisory_lock(%s)", (0x4B455953,))  # "KEYS"
            try:
                if schema:
                    self._db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                for ddl in TABLES:
                    self._db.execute(ddl.format(p=self.p, blob="BYTEA"))
            finally:
                self._db.execute("SELECT pg_advisory_unlock(%s)", (0x4B455953,))

    def _rows(self, sql, params):
        with self._lock:
            return self._db.execute(sql.format(p=self.p), params).fetchall()

    def get(self, tenant, ticket_id):
        rows = self._rows("SELECT key FROM {p}keys WHERE tenant = %s AND ticket_id = %s",
                          (tenant, ticket_id))
        return bytes(rows[0][0]) if rows else None

    def create(self, tenant, ticket_id, key, person=None):
        with self._lock, self._db.transaction():
            db, p = self._db, self.p
            if db.execute(f"SELECT 1 FROM {p}forgotten WHERE tenant = %s AND ticket_id = %s",
                          (tenant, ticket_id)).fetchone():
                return None
            db.execute(f"INSERT INTO {p}keys VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                       (tenant, ticket_id, key))
            if person is not None:
                db.execute(f"INSERT INTO {p}persons VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                           (tenant, person, ticket_id))
            row = db.execute(f"SELECT key FROM {p}keys WHERE tenant = %s AND ticket_id = %s",
                             (tenant, ticket_id)).fetchone()
            return bytes(row[0])

    def link(self, tenant, person, ticket_id):
        self._rows("INSERT INTO {p}persons VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
                   " RETURNING 1", (tenant, person, ticket_id))

    def add_parts(self, tenant, ticket_id, parts):
        known = {row[0] for row in self._rows(
            "SELECT part FROM {p}parts WHERE tenant = %s AND ticket_id = %s", (tenant, ticket_id))}
        parts = [part for part in parts if part not in known]
        if not parts:
            return
        with self._lock, self._db.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {self.p}parts VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(tenant, ticket_id, part) for part in parts])

    def tickets(self, tenant, person):
        return [row[0] for row in self._rows(
            "SELECT ticket_id FROM {p}persons WHERE tenant = %s AND person = %s ORDER BY 1",
            (tenant, person))]

    def forget(self, tenant, ticket_ids):
        p, now, gone, parts = self.p, time.time(), 0, []
        with self._lock:
            with self._db.transaction():
                for ticket_id in ticket_ids:
                    gone += self._db.execute(
                        f"DELETE FROM {p}keys WHERE tenant = %s AND ticket_id = %s",
                        (tenant, ticket_id)).rowcount
                    for (part,) in self._db.execute(
                            f"DELETE FROM {p}parts WHERE tenant = %s AND ticket_id = %s"
                            " RETURNING part", (tenant, ticket_id)).fetchall():
                        parts.append(part)
                        self._db.execute(f"DELETE FROM {p}keys WHERE tenant = '*' AND"
                                         " ticket_id = %s", (part,))
                        self._db.execute(f"INSERT INTO {p}forgotten VALUES ('*', %s, %s)"
                                         " ON CONFLICT DO NOTHING", (part, now))
                    self._db.execute(f"DELETE FROM {p}persons WHERE tenant = %s AND ticket_id"
                                     " = %s", (tenant, ticket_id))
                    self._db.execute(f"INSERT INTO {p}forgotten VALUES (%s, %s, %s)"
                                     " ON CONFLICT DO NOTHING", (tenant, ticket_id, now))
            # The deleted rows stay in their pages until a vacuum reuses them.
            self._db.execute(f"VACUUM {p}keys")
        return gone, parts

    def forgotten(self, tenant, ticket_id):
        return bool(self._rows("SELECT 1 FROM {p}forgotten WHERE tenant = %s AND ticket_id = %s",
                               (tenant, ticket_id)))

    def close(self):
        with self._lock:
            self._db.close()
