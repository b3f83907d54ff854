"""Personal data under UU PDP, the pure parts: the erasure decision, the export of a ticket,
and the retention period in a unit's standard (checked like every other key)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

import lpse_helpdesk.standards
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.privacy_events import PersonalDataErased
from lpse_helpdesk.services.desk.privacy import decide_erasure, ticket_export
from lpse_helpdesk.standards import check_files, load_standard
from lpse_helpdesk.workflow.stamp import Stamp
from lpse_helpdesk.workflow.state import fold_state

# The shipped standards, where the installed package has them (CI runs a copy of tests/).
STANDARDS = Path(lpse_helpdesk.standards.__file__).parent / "data"
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ADMIN = ev.Actor(id="admin", role="admin")


def received() -> ev.TicketReceived:
    return ev.TicketReceived(
        event_id=uuid.uuid4(), ticket_id=uuid.uuid4(), tenant="batam", occurred_at=AT,
        number="BTM-2026-000001", channel="web",
        reporter=ev.Reporter(name="Sri Rahayu", email="sri@contoh.id", phone="0812"),
        subject="Gagal unggah", description="NIK 3171000011112222 ditolak",
        access_token_sha256="a" * 64, documents={"id_card": "3171000011112222"},
        attachments=[ev.AttachmentRef(id="b" * 32, filename="ktp.png", content_type="image/png",
                                      size=9, sha256="c" * 64)])


def test_erasure_is_decided_once_per_ticket():
    history = [received()]
    first = decide_erasure(fold_state(history), history, "request", ADMIN, Stamp.new(AT))
    assert isinstance(first, PersonalDataErased) and first.ticket_id == history[0].ticket_id
    assert first.reason == "request" and first.actor == ADMIN
    again = [*history, first]
    assert decide_erasure(fold_state(again), again, "retention", ev.SYSTEM, Stamp.new(AT)) is None
    assert decide_erasure(None, [], "request", ADMIN, Stamp.new(AT)) is None


def test_export_lists_what_the_ticket_holds_about_its_reporter():
    history = [received()]
    history.append(ev.ReporterReplied(event_id=uuid.uuid4(), ticket_id=history[0].ticket_id,
                                      tenant="batam", occurred_at=AT, message="masih gagal"))
    out = ticket_export(history)
    assert out["pelapor"]["name"] == "Sri Rahayu" and out["dokumen"] == {
        "id_card": "3171000011112222"}
    assert out["lampiran"] == [{"nama_berkas": "ktp.png", "jenis": "image/png", "ukuran": 9}]
    assert out["percakapan"][0]["pesan"] == "masih gagal" and out["dihapus"] is None


def test_retention_has_a_default_and_is_checked(tmp_path):
    assert load_standard(STANDARDS / "batam.toml").privacy.retention_days == 1825
    text = (STANDARDS / "batam.toml").read_text(encoding="utf-8")
    path = tmp_path / "batam.toml"
    path.write_text(text + "\n[privacy]\nretention_days = -3\n", encoding="utf-8")
    [error] = check_files([path])
    assert error.startswith(f"{path}: privacy.retention_days: expected integer >= 0"), error
    path.write_text(text + "\n[privacy]\nretention_days = 30\n", encoding="utf-8")
    assert load_standard(path).privacy.retention_days == 30
    with pytest.raises(ValueError):
        path.write_text(text + "\n[privacy]\nretensi = 30\n", encoding="utf-8")
        load_standard(path)


def test_an_erased_ticket_teaches_triage_nothing(tmp_path):
    from lpse_helpdesk.platform.keystore import KeyStore
    from lpse_helpdesk.platform.store import ServiceStore
    from lpse_helpdesk.schemas import sealing
    from lpse_helpdesk.services.triage.corrections import corrections
    from lpse_helpdesk.settings import Settings
    from lpse_helpdesk.workflow import history

    before, keys = sealing._keystore, KeyStore.in_memory()
    sealing.pin_keystore(keys)  # this test's own keys, to forget
    store = ServiceStore("desk", Settings(data_dir=tmp_path), history.TABLES)
    try:
        report = received()
        label = ev.TicketClassified(
            event_id=uuid.uuid4(), ticket_id=report.ticket_id, tenant="batam", occurred_at=AT,
            category="gangguan", priority="tinggi", confidence=1.0,
            actor=ev.Actor(id="sari", role="helpdesk"))
        store.execute([history.append(store, report, 1), history.append(store, label, 2)])
        [found] = corrections(store)
        assert found.example.description == report.description
        keys.forget("batam", [report.ticket_id])
        assert corrections(store) == []
    finally:
        store.close()
        sealing.pin_keystore(before)
