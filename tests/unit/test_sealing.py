"""Personal fields sealed on the wire: round trip, a seal moved or altered is refused, an erased
key gives placeholders that still validate, events stored before sealing decode unchanged, and
no key store means no encoding at all."""

from __future__ import annotations

import json
import uuid

import msgspec
import pytest

from lpse_helpdesk.platform.keystore import KeyStore
from lpse_helpdesk.schemas import (
    InvalidEvent,
    decode_event,
    encode_event,
    new_envelope,
    sealing,
)
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.schemas.codec import encode_plain

SECRETS = ["Budi Rahasiawan", "budi.rahasia@contoh.co.id", "0812-999-777", "CV Rahasia Jaya",
           "Subjek Rahasia", "Deskripsi Rahasia", "3171999988887777", "nilai-kolom-rahasia",
           "ktp-rahasia.png"]


def received(tenant: str = "batam") -> ev.TicketReceived:
    return ev.TicketReceived(
        **new_envelope(uuid.uuid4(), tenant), number="BTM-2026-000001", channel="web",
        reporter=ev.Reporter(name=SECRETS[0], email=SECRETS[1], phone=SECRETS[2],
                             kind="penyedia", organization=SECRETS[3]),
        subject=SECRETS[4], description=SECRETS[5], access_token_sha256="a" * 64,
        documents={"id_card": SECRETS[6]}, fields={"kode_paket": SECRETS[7]},
        attachments=[ev.AttachmentRef(id="b" * 32, filename=SECRETS[8], content_type="image/png",
                                      size=3, sha256="c" * 64)])


@pytest.fixture
def keys():
    store = KeyStore.in_memory()
    before = sealing._keystore
    sealing.pin_keystore(store)
    yield store
    sealing.pin_keystore(before)


def test_round_trip_keeps_nothing_personal_in_clear(keys) -> None:
    event = received()
    data = encode_event(event)
    for value in SECRETS:
        assert value.encode() not in data, value
    wire = json.loads(data)
    assert wire["sealed"].startswith("v1.") and wire["number"] == "BTM-2026-000001"
    assert wire["reporter"]["kind"] == "penyedia" and wire["documents"] == {"id_card": "[tersegel]"}
    assert decode_event(data) == event
    assert keys.tickets_of("batam", SECRETS[1].upper()) == [event.ticket_id]
    reply = ev.TicketReplied(**new_envelope(event.ticket_id, "batam"), message="Halo Budi",
                             actor=ev.Actor(id="sari", role="helpdesk"))
    assert b"Halo Budi" not in encode_event(reply) and decode_event(encode_event(reply)) == reply
    assert SECRETS[0].encode() in encode_plain(event)  # webhooks: outside, no keys
    # the attachment's key goes with the ticket's
    keys.upload_key("b" * 32, create=True)
    keys.forget("batam", [event.ticket_id])
    assert keys.upload_key("b" * 32) is None


def test_a_seal_moved_or_altered_is_refused(keys) -> None:
    one, two = received(), received()
    data_one, data_two = encode_event(one), encode_event(two)
    moved = data_two[:data_two.rindex(b',"sealed"')] + data_one[data_one.rindex(b',"sealed"'):]
    with pytest.raises(InvalidEvent, match="sealed"):
        decode_event(moved)
    wire = json.loads(data_one)
    token = wire["sealed"]
    wire["sealed"] = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(InvalidEvent):
        decode_event(msgspec.json.encode(wire))
    wire["sealed"], wire["event_id"] = token, str(uuid.uuid4())  # another event's id
    with pytest.raises(InvalidEvent):
        decode_event(msgspec.json.encode(wire))


def test_an_erased_key_gives_placeholders_that_validate(keys) -> None:
    event = received()
    data = encode_event(event)
    keys.forget("batam", [event.ticket_id])
    erased = decode_event(data)
    assert erased.reporter.name == "[data dihapus]" and erased.reporter.email == ""
    assert erased.reporter.phone == "" and erased.reporter.organization == "[data dihapus]"
    assert (erased.subject, erased.description) == ("[data dihapus]", "[data dihapus]")
    assert erased.documents == {"id_card": "[data dihapus]"}
    assert erased.attachments[0].filename == "[data dihapus]"
    assert erased.number == event.number and erased.reporter.kind == "penyedia"
    # still a valid event: it encodes and decodes again, and what is written after an erase
    # holds placeholders only
    again = encode_event(erased)
    assert b"sealed" not in again and decode_event(again) == erased
    later = ev.ReporterReplied(**new_envelope(event.ticket_id, "batam"), message="Budi lagi")
    assert b"Budi" not in encode_event(later)


def test_events_stored_before_sealing_decode_unchanged(keys) -> None:
    event = received()
    assert decode_event(encode_plain(event)) == event
    assert decode_event(encode_plain(event).decode()) == event


def test_no_key_store_refuses_to_encode_or_open(keys) -> None:
    event = received()
    data = encode_event(event)
    sealing.pin_keystore(None)
    with pytest.raises(sealing.NoKeyStore):
        encode_event(event)
    with pytest.raises(sealing.NoKeyStore):
        decode_event(data)
    sla = ev.SlaBreached(**new_envelope(event.ticket_id, "batam"), target="resolution",
                         due_at=event.occurred_at)
    assert decode_event(encode_event(sla)) == sla  # nothing personal: no key needed


def test_survey_profile_classification_reason_and_faq_draft_are_sealed(keys) -> None:
    from lpse_helpdesk.schemas import desk_events as dk
    from lpse_helpdesk.schemas import faq
    from lpse_helpdesk.schemas.survey import SkmProfile, SkmScores

    ticket = received()
    encode_event(ticket)
    at, actor = ticket.occurred_at, ev.Actor(id="sari", role="helpdesk")
    survey = dk.SurveySubmitted(
        **new_envelope(ticket.ticket_id, "batam"), scores=SkmScores(**dict.fromkeys(
            ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku",
             "pengaduan", "sarana"), 3)),
        comment="komentar-rahasia", profile=SkmProfile(jenis_kelamin="P", usia=47,
                                                       pendidikan="s3", pekerjaan="tni"))
    classified = ev.TicketClassified(**new_envelope(ticket.ticket_id, "batam"),
                                     category="gangguan", priority="sedang", confidence=1.0,
                                     actor=actor, reason="kata pelapor Zirkonia")
    draft = faq.FaqDrafted(event_id=uuid.uuid4(), entry_id=uuid.uuid4(), tenant="batam",
                           occurred_at=at, source_ticket_id=ticket.ticket_id,
                           question="Tanya Zirkonia", answer="Jawab Zirkonia")
    wires = [encode_event(e) for e in (survey, classified, draft)]
    assert json.loads(wires[0])["profile"] == {}
    for data in wires:
        for secret in (b"komentar-rahasia", b"Zirkonia", b'"s3"', b'"tni"', b'"usia"'):
            assert secret not in data, (secret, data)
    assert [decode_event(w) for w in wires] == [survey, classified, draft]
    # the draft opens only with its source ticket's key and event
    moved = json.loads(wires[2])
    other = received()
    encode_event(other)  # another ticket with a key
    moved["source_ticket_id"] = str(other.ticket_id)
    with pytest.raises(InvalidEvent):
        decode_event(msgspec.json.encode(moved))
    keys.forget("batam", [ticket.ticket_id])
    gone = [decode_event(w) for w in wires]
    assert gone[0].profile == SkmProfile() and gone[0].comment == "[data dihapus]"
    assert gone[0].scores == survey.scores and gone[1].category == "gangguan"
    assert gone[1].reason == "[data dihapus]"
    assert (gone[2].question, gone[2].answer) == ("[data dihapus]", "[data dihapus]")
    assert b"Zirkonia" not in encode_event(gone[2])


def test_triage_own_classification_reason_stays_plain(keys) -> None:
    auto = ev.TicketClassified(**new_envelope(uuid.uuid4(), "batam"), category="gangguan",
                               priority="sedang", confidence=0.9,
                               reason="klasifikasi otomatis (keyakinan 90%)")
    data = encode_event(auto)
    assert b'"sealed"' not in data and b"klasifikasi otomatis" in data
    assert decode_event(data) == auto
