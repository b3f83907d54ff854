"""A desk store made before the assignment and search columns gets them when the desk opens it;
its old state rows read "" for them (until `rebuild desk`) and are still found by filters."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from conftest import make_settings
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.platform.store import ServiceStore, Write
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.desk import search, views
from lpse_helpdesk.standards import load_standards

NEW = (" assignee TEXT NOT NULL DEFAULT '', reporter_name TEXT NOT NULL DEFAULT '',"
       " search_text TEXT NOT NULL DEFAULT ''")


def old_tables() -> tuple[str, ...]:
    state = next(t for t in views.TABLES if "_ticket_state (" in t)
    old = state.replace(", reporter_email TEXT NOT NULL DEFAULT ''", "")
    old = old.replace(NEW, "").replace(", new_reply INTEGER NOT NULL DEFAULT 0", "")
    old = old.replace("DEFAULT 0,)", "DEFAULT 0)")
    assert "assignee" not in old and old.endswith("needs_review INTEGER NOT NULL DEFAULT 0)")
    # Every table of the desk, the state table as it was, without the search's index.
    return tuple(old if t is state else t for t in definition("desk").tables
                 if "received_at)" not in t)


def test_an_old_state_table_gets_the_new_columns(tmp_path, database_url):
    settings = make_settings(tmp_path, "nats://127.0.0.1:1", database_url)
    store = ServiceStore("desk", settings, old_tables())
    p = store.prefix
    store.execute([Write(
        f"INSERT INTO {p}_ticket_state (ticket_id, number, tenant, channel, subject, status, tier,"
        " received_at, escalations, breached, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("t-1", "BTM-2025-000001", "batam", "web", "Lama", "closed", "helpdesk",
         "2025-01-02T03:04:05.000000Z", 0, 0, "ticket"))])
    try:
        definition("desk").build(ServiceContext(settings, store, load_standards()))
        found = search.search(store, "batam", ZoneInfo("Asia/Jakarta"), status="closed")
        assert [(t.number, t.assignee, t.reporter_name) for t in found.items] == [
            ("BTM-2025-000001", "", "")]
        assert search.search(store, "batam", ZoneInfo("Asia/Jakarta"), q="lama").total == 0
        # "Tiket saya" finds an old row only after `rebuild desk` fills its address.
        assert store.query(f"SELECT reporter_email FROM {p}_ticket_state") == [("",)]
    finally:
        store.close()
