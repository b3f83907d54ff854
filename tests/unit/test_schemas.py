"""The wire contract: every event round-trips; bad messages are rejected with a clear error."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from lpse_helpdesk.cli import main
from lpse_helpdesk.schemas import (
    ALL_EVENTS,
    InvalidEvent,
    decode_event,
    encode_event,
    new_envelope,
    subject_for,
)
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.codec import headers_for
from lpse_helpdesk.schemas.export import asyncapi, json_schemas

STAFF = ev.Actor(id="sari", role="helpdesk")
NOW = datetime(2026, 11, 20, 9, 50, tzinfo=UTC)


def sample(event_type: type) -> ev.TicketEvent:
    envelope = new_envelope(uuid.uuid4(), "batam")
    fields = {
        ev.TicketReceived: dict(
            number="BTM-2026-000001", channel="web",
            reporter=ev.Reporter(name="Budi", email="budi@contoh.co.id", kind="penyedia"),
            subject="Gagal unggah penawaran", description="Error saat unggah dokumen",
            access_token_sha256="a" * 64,
        ),
        ev.ReporterReplied: dict(message="Berikut tangkapan layarnya", channel="email"),
        ev.ReporterFeedback: dict(solved=False, message="masih gagal login"),
        ev.TicketClassified: dict(category="gangguan", priority="tinggi", confidence=0.91,
                                  first_response_due=NOW, resolution_due=NOW),
        ev.EscalatedToCoordinator: dict(from_tier="helpdesk", to_tier="admin_ppe",
                                        reason="butuh akses admin", actor=STAFF),
        ev.EscalatedToLkpp: dict(from_tier="admin_ppe", reason="bug SPSE", automatic=True),
        ev.EscalationAnswered: dict(from_tier="lkpp", to_tier="helpdesk", message="sudah diperbaiki",
                                    actor=ev.Actor(id="lkpp1", role="lkpp")),
        ev.SlaBreached: dict(target="resolution", due_at=NOW, tier="helpdesk"),
        ev.TicketReplied: dict(message="Silakan coba lagi", actor=STAFF),
        ev.InfoRequested: dict(message="Mohon kirim screenshot", actor=STAFF),
        ev.NoteAdded: dict(message="cek log server", actor=STAFF),
        ev.TicketClosed: dict(resolution="Sertifikat diperbarui", publish_faq=True, actor=STAFF),
        ev.TicketReopened: dict(reason="masih gagal", actor=ev.Actor(id="pelapor", role="reporter")),
        ev.TicketAssigned: dict(assignee="helpdesk.dua", actor=STAFF, previous="helpdesk.satu"),
        ev.TicketUnassigned: dict(actor=STAFF, previous="helpdesk.dua"),
        ev.TicketMerged: dict(resolution="Digabung ke tiket BTM-2026-000002", actor=STAFF,
                              into="BTM-2026-000002"),
        ev.MergeReceived: dict(duplicate="BTM-2026-000001", actor=STAFF),
        ev.TicketLinked: dict(to="BTM-2026-000003", actor=STAFF),
        ev.SurveySubmitted: dict(scores=ev.SkmScores(
            persyaratan=4, prosedur=3, waktu=2, biaya=4, produk=3, kompetensi=4, perilaku=4,
            pengaduan=1, sarana=3), comment="pelayanan cepat"),
        ev.NotificationSent: dict(recipient="budi@contoh.co.id", template="received"),
        ev.NotificationFailed: dict(recipient="budi@contoh.co.id", template="received", attempt=1,
                                    error="SMTP tidak terjangkau"),
        ev.PersonalDataErased: dict(reason="request", actor=ev.Actor(id="admin", role="admin")),
    }[event_type]
    return event_type(**envelope, **fields)


@pytest.mark.parametrize("event_type", ALL_EVENTS, ids=lambda t: t.__struct_config__.tag)
def test_every_event_round_trips(event_type):
    event = sample(event_type)
    data = encode_event(event)
    assert json.loads(data)["type"] == event.tag
    assert decode_event(data) == event
    assert subject_for(event) == f"helpdesk.batam.ticket.{event.tag.removeprefix('ticket.')}"
    assert headers_for(event) == {"Helpdesk-Ticket": str(event.ticket_id)}


def test_unknown_tag_is_rejected_naming_the_tag_field():
    data = json.loads(encode_event(sample(ev.TicketReplied)))
    data["type"] = "ticket.teleported"
    with pytest.raises(InvalidEvent, match=r"\$\.type"):
        decode_event(json.dumps(data))


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d.pop("ticket_id"), "ticket_id"),
        (lambda d: d.update(confidence="tinggi"), r"\$\.confidence"),
        (lambda d: d.update(confidence=1.5), r"\$\.confidence"),
        (lambda d: d.update(category="darurat"), r"\$\.category"),
        (lambda d: d.update(tenant="Batam Kota"), r"\$\.tenant"),
        (lambda d: d.update(occurred_at="kemarin"), r"\$\.occurred_at"),
    ],
)
def test_malformed_event_names_the_field(mutate, where):
    data = json.loads(encode_event(sample(ev.TicketClassified)))
    mutate(data)
    with pytest.raises(InvalidEvent, match=where):
        decode_event(json.dumps(data))


@pytest.mark.parametrize("body", [b"", b"{", b"garbage", b"\xff\xfe", b"[]", b"null"])
def test_garbage_is_rejected(body):
    with pytest.raises(InvalidEvent):
        decode_event(body)


def test_events_are_frozen():
    event = sample(ev.TicketReplied)
    with pytest.raises(AttributeError):
        event.message = "diubah"  # type: ignore[misc]


def test_new_field_with_default_keeps_old_events_decodable():
    # An old stored event without a defaulted field (here: `publish_faq`) still decodes.
    data = json.loads(encode_event(sample(ev.TicketClosed)))
    del data["publish_faq"]
    assert decode_event(json.dumps(data)).publish_faq is False


def test_json_schema_and_asyncapi_cover_every_event(tmp_path):
    schemas = json_schemas()
    from lpse_helpdesk.schemas.faq import FAQ_EVENTS

    assert set(schemas) == {t.__struct_config__.tag for t in (*ALL_EVENTS, *FAQ_EVENTS)}
    received = schemas["ticket.received"]["$defs"]["TicketReceived"]
    assert {"event_id", "ticket_id", "tenant", "occurred_at", "number"} <= set(received["required"])
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    assert doc["channels"]["received"]["address"] == "helpdesk.{tenant}.ticket.received"
    assert "Helpdesk-Ticket" in doc["components"]["messages"]["received"]["headers"]["required"]
    assert "Helpdesk-Ticket" in doc["info"]["description"]
    assert doc["operations"]["publish_classified"]["x-owner"] == "triage"
    assert doc["channels"]["faq_published"]["address"] == "helpdesk.{tenant}.faq.published"
    assert "Helpdesk-Faq-Entry" in doc["components"]["messages"]["faq_published"]["headers"][
        "properties"]
    assert main(["schemas", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert "asyncapi.json" in written and "ticket.closed.schema.json" in written
    assert len(written) == len(ALL_EVENTS) + len(FAQ_EVENTS) + 1
    msgspec.json.decode((tmp_path / "asyncapi.json").read_bytes())  # valid JSON
