"""The personal-data access log (`services/desk/access_log.py`) on a real SQLite store: one row
per look (a repeat within the minute is the same row), written in a batch after the access,
bounded by age and count, read back by unit and time, and its CSV."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.services.desk import access_log
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards

ZONE = load_standards()["batam"].zone
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    s = ServiceStore("desk", Settings(data_dir=tmp_path), access_log.TABLES)
    yield s
    s.close()


def row(at: datetime, number: str = "BTM-1", tenant: str = "batam", who: str = "hd.btm"):
    return (at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), tenant, who, "helpdesk", number,
            "lihat_tiket", "10.0.0.7")


async def test_a_look_is_one_row_written_after_the_access(store):
    log = access_log.AccessLog(store, lambda: NOW)
    log.note("batam", "hd.btm", "helpdesk", "BTM-1", "lihat_tiket", "10.0.0.7")
    log.note("batam", "hd.btm", "helpdesk", "BTM-1", "lihat_tiket", "10.0.0.7")  # page polls
    log.note("batam", "hd.btm", "helpdesk", "BTM-1", "unduh_lampiran", "10.0.0.7")
    log.note("batam", "koor.btm", "koordinator", "BTM-1", "lihat_tiket", "10.0.0.8")
    assert access_log.entries(store, "batam", NOW - timedelta(days=1)) == []  # not yet
    await log.flush()
    found = access_log.entries(store, "batam", NOW - timedelta(days=1))
    assert sorted((r[2], r[5]) for r in found) == [
        ("hd.btm", "lihat_tiket"), ("hd.btm", "unduh_lampiran"), ("koor.btm", "lihat_tiket")]
    assert access_log.entries(store, "lampung", NOW - timedelta(days=1)) == []
    assert len(access_log.entries(store, "*", NOW - timedelta(days=1))) == 3


def test_since_and_until_pick_the_rows_and_the_csv_names_them(store):
    access_log.write(store, [row(NOW - timedelta(days=3), "BTM-0"), row(NOW, "BTM-1")])
    since = access_log.parse_since("2026-12-02", ZONE)  # the unit's day (UTC+7)
    assert [r[4] for r in access_log.entries(store, "batam", since)] == ["BTM-1"]
    assert [r[4] for r in access_log.entries(store, "batam", NOW - timedelta(days=4),
                                             NOW - timedelta(days=1))] == ["BTM-0"]
    text = access_log.as_csv(access_log.entries(store, "batam", since), ZONE)
    (line,) = csv.DictReader(io.StringIO(text))
    assert line == {"waktu": "2026-12-03T17:00:00+07:00", "waktu_utc": "2026-12-03T10:00:00+00:00",
                    "unit": "batam", "petugas": "hd.btm", "peran": "helpdesk",
                    "nomor_tiket": "BTM-1", "jenis_akses": "lihat_tiket",
                    "alamat_ip": "10.0.0.7"}
    assert access_log.parse_since("2026-12-02T09:30:00Z", ZONE) == datetime(
        2026, 12, 2, 9, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        access_log.parse_since("kemarin", ZONE)


def test_rows_past_the_retention_or_the_count_are_deleted(store, monkeypatch):
    old = NOW - timedelta(days=access_log.RETENTION_DAYS + 1)
    access_log.write(store, [row(old, "BTM-OLD")])
    monkeypatch.setattr(access_log, "MAX_ROWS", 3)
    access_log.write(store, [row(NOW - timedelta(minutes=m), f"BTM-{m}") for m in range(5, 0, -1)],
                     prune=True)
    kept = [r[4] for r in access_log.entries(store, "*", old - timedelta(days=1))]
    assert kept == ["BTM-1", "BTM-2", "BTM-3"]


def test_the_streamed_csv_is_the_whole_csv_a_week_at_a_time(store):
    # Rows across 40 days, two on one week's boundary, one of another unit, one on `until`.
    times = [NOW - timedelta(days=d, hours=h) for d in range(0, 40, 3) for h in (0, 5)]
    edge = NOW - access_log.STREAM_WINDOW
    access_log.write(store, [row(t, f"BTM-{i}") for i, t in enumerate([*times, edge, edge])]
                     + [row(NOW - timedelta(days=2), "LPG-1", "lampung"), row(NOW, "BTM-x")])
    since, until = NOW - timedelta(days=60), NOW
    chunks = list(access_log.csv_chunks(store, "batam", since, until, ZONE))
    whole = access_log.as_csv(access_log.entries(store, "batam", since, until), ZONE)
    assert b"".join(chunks).decode() == whole and len(chunks) > 4
    # The header, every row before `until` once (the rows at NOW are on `until`: not in).
    assert whole.count("\r\n") == 1 + (len(times) - 1) + 2
    assert list(access_log.csv_chunks(store, "tuban", since, until, ZONE)) == [
        access_log.as_csv([], ZONE).encode()]
