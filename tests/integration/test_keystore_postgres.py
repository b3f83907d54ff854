"""The key store in PostgreSQL (a helpdesk configured for it): the same behaviour as the SQLite
file, shared by two processes' stores, and the HMAC secret shared through the environment."""

from __future__ import annotations

import uuid

import psycopg
from unit.test_keystore import _checks

from lpse_helpdesk.platform.keystore import open_keystore
from lpse_helpdesk.settings import Settings

SECRET = {"HELPDESK_PERSONAL_SECRET": "k" * 40}


def test_keys_in_their_own_postgres_tables(tmp_path, pg_url):
    settings = Settings(data_dir=tmp_path / "a", database_url=pg_url)
    store = open_keystore(settings, env=SECRET)
    _checks(store)
    # another machine: its own data folder, the same database and secret
    other = open_keystore(Settings(data_dir=tmp_path / "b", database_url=pg_url), env=SECRET)
    ticket = uuid.uuid4()
    key = store.key_of_reporter("batam", ticket, "rina@contoh.id")
    assert other.key_for("batam", ticket) == key
    assert other.tickets_of("batam", "RINA@contoh.id") == [ticket]
    assert other.forget("batam", [ticket]) == 1 and store.is_forgotten("batam", ticket)
    schema = pg_url.split("schema=")[1]
    with psycopg.connect(pg_url.split("?")[0]) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,))}
        assert {"keystore_keys", "keystore_persons", "keystore_parts",
                "keystore_forgotten"} <= tables
        assert not conn.execute(f'SELECT 1 FROM "{schema}".keystore_keys WHERE ticket_id = %s',
                                (str(ticket),)).fetchall()
    other.close()
    store.close()
