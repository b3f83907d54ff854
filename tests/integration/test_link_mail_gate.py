"""The "Tiket saya" link mail leaves from desk, so desk reads notify's gate itself
(`notify.limits.held_back`): a stopped address, a bounced one and one at its hourly count are
held back, on SQLite and PostgreSQL; before notify has made its tables, nothing is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import make_settings

from lpse_helpdesk.platform.store import ServiceStore, Write, utc_text
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.notify import limits

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_held_back_reads_notify_stop_and_bounce_lists_and_hourly_count(tmp_path,
                                                                       database_url):
    settings = make_settings(tmp_path, "nats://127.0.0.1:1", database_url,
                             reporter_mails_per_hour=2)
    if not database_url:
        assert limits.held_back(settings, "sri@contoh.id", NOW) is None  # no notify file yet
    store = ServiceStore("notify", settings, definition("notify").tables)
    try:
        p = store.prefix
        store.execute([
            limits.bounced(store, "Sri@Contoh.id", limits.STOPPED, NOW),
            limits.bounced(store, "pantul@contoh.id", "550 no such user", NOW),
            *[Write(f"INSERT INTO {p}_mail_sends VALUES (?, ?)", ("sibuk@contoh.id",
                                                                  utc_text(NOW - age)))
              for age in (timedelta(minutes=5), timedelta(minutes=30))],
            Write(f"INSERT INTO {p}_mail_sends VALUES (?, ?)",
                  ("lama@contoh.id", utc_text(NOW - timedelta(hours=2)))),
        ])
        assert "meminta berhenti" in limits.held_back(settings, "sri@contoh.id", NOW)
        assert "bounce" in limits.held_back(settings, "pantul@contoh.id", NOW)
        assert "batas 2 surat" in limits.held_back(settings, "Sibuk+tiket@contoh.id", NOW)
        assert limits.held_back(settings, "lama@contoh.id", NOW) is None
        assert limits.held_back(settings, "baru@contoh.id", NOW) is None
    finally:
        store.close()
