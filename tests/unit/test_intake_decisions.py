"""Intake's decisions (`services/intake/decisions.py`, `requirements.py`): what a submission's
`ticket.received` is, what the unit's standard requires, which refusal a clash on storing means,
and a reporter's follow-up."""

import uuid

import pytest

from lpse_helpdesk import refusals
from lpse_helpdesk.schemas.api import Feedback, Message, NewTicket, TicketCreated
from lpse_helpdesk.schemas.events import AttachmentRef, Reporter, ReporterFeedback, ReporterReplied
from lpse_helpdesk.services.intake import decisions, requirements
from lpse_helpdesk.services.intake.decisions import Clash, Earlier
from lpse_helpdesk.workflow.rules import TicketNotFound

from .tickets import STANDARDS, TOKEN, Ticket, stamp

LAMPUNG, BATAM, BASARNAS = STANDARDS["lampung"], STANDARDS["batam"], STANDARDS["basarnas"]


def new_ticket(tenant="batam", channel="web", documents=None, **reporter):
    return NewTicket(tenant=tenant, channel=channel,
                     reporter=Reporter(name="Budi", **reporter), subject="Lupa password",
                     description="Mohon reset", documents=documents or {})


def upload(content_type="image/png", filename="layar.png"):
    return AttachmentRef(id=uuid.uuid4().hex, filename=filename, content_type=content_type,
                         size=10, sha256="0" * 64)


def test_numbers_per_unit_and_year_and_the_days_queue():
    assert decisions.ticket_number("BTM", 2026, 123) == "BTM-2026-000123"
    assert decisions.queue_number(7) == "A-007"


def test_an_uploaded_image_is_the_screenshot_the_standard_asks_for():
    shots = [upload(filename="a.png"), upload("application/pdf", "b.pdf")]
    ticket = decisions.with_screenshot(new_ticket("basarnas"), shots)
    assert ticket.documents == {"screenshot": "a.png, b.pdf"}
    requirements.check(BASARNAS, ticket)  # Basarnas's web channel requires one


def test_no_image_or_a_named_screenshot_changes_nothing():
    plain = new_ticket()
    assert decisions.with_screenshot(plain, [upload("application/pdf", "b.pdf")]) is plain
    named = new_ticket(documents={"screenshot": "terlampir"})
    assert decisions.with_screenshot(named, [upload()]) is named


def test_missing_requirements_are_named_as_field_paths():
    with pytest.raises(requirements.RequirementsNotMet) as refused:
        requirements.check(LAMPUNG, new_ticket("lampung", documents={"company_npwp": "01.234"}))
    exc = refused.value
    assert isinstance(exc, refusals.Invalid)
    assert exc.missing == ["reporter.email", "documents.director_id_card",
                           "documents.request_letter", "documents.company_documents"]
    assert exc.field == "reporter.email"
    assert "surat permohonan (`documents.request_letter`)" in exc.message


def test_a_blank_value_is_missing():
    with pytest.raises(requirements.RequirementsNotMet) as refused:
        requirements.check(STANDARDS["tuban"], new_ticket("tuban", email="a@b.id", phone="  ",
                                                          documents={"id_card": "KTP"}))
    assert refused.value.missing == ["reporter.phone"]


def test_a_channel_the_unit_does_not_take_is_refused():
    with pytest.raises(requirements.RequirementsNotMet, match="tidak menerima laporan lewat "
                       "kanal `email`") as refused:
        requirements.check(LAMPUNG, new_ticket("lampung", channel="email"))
    assert refused.value.missing == ["channel"]


def test_a_complete_ticket_passes():
    requirements.check(BATAM, new_ticket())


def test_the_received_event_keeps_only_the_tokens_hash():
    ticket = new_ticket()
    ticket_id, s = uuid.uuid4(), stamp()
    event = decisions.received(ticket, ticket_id, "BTM-2026-000001", TOKEN, [upload()],
                               "loket.satu", "A-003", s)
    assert (event.event_id, event.ticket_id, event.occurred_at) == (s.event_id, ticket_id, s.at)
    assert event.access_token_sha256 == decisions.sha256(TOKEN) and TOKEN not in str(event)
    assert (event.number, event.queue_number, event.logged_by) == ("BTM-2026-000001", "A-003",
                                                                   "loket.satu")
    assert (event.subject, event.reporter, event.channel) == (ticket.subject, ticket.reporter,
                                                              "web")
    assert len(event.attachments) == 1


def test_the_idempotency_key_is_bound_to_the_request():
    assert decisions.request_hash(new_ticket()) == decisions.request_hash(new_ticket())
    assert decisions.request_hash(new_ticket()) != decisions.request_hash(new_ticket("lampung"))


CREATED = TicketCreated(id=uuid.uuid4(), number="BTM-2026-000001", access_token=TOKEN)


def test_a_key_replays_its_ticket_for_the_same_request_only():
    assert decisions.replay(None, "h1") is None
    assert decisions.replay(Earlier("h1", CREATED), "h1") is CREATED
    with pytest.raises(decisions.IdempotencyMismatch) as refused:
        decisions.replay(Earlier("h1", CREATED), "h2")
    assert isinstance(refused.value, refusals.KeyReused)
    assert refused.value.field == "Idempotency-Key"


def clash(uploads=False, visit=False, mail=None, earlier=None):
    return Clash(uploads_taken=uploads, visit_taken=visit, mail_number=mail, earlier=earlier)


def test_a_clash_on_the_number_alone_means_try_the_next():
    assert decisions.after_clash(clash(), "h1") is None


def test_a_clash_on_uploads_comes_first():
    with pytest.raises(decisions.UnknownUpload) as refused:
        decisions.after_clash(clash(uploads=True, visit=True, mail="BTM-2026-000002"), "h1")
    assert isinstance(refused.value, refusals.Invalid) and refused.value.field == "attachments"
    assert "sudah dipakai tiket lain" in refused.value.message


def test_then_the_queue_number_then_the_mail():
    with pytest.raises(decisions.QueueNumberTaken):
        decisions.after_clash(clash(visit=True, mail="BTM-2026-000002"), "h1")
    with pytest.raises(decisions.DuplicateMail) as duplicate:
        decisions.after_clash(clash(mail="BTM-2026-000002", earlier=Earlier("h1", CREATED)), "h1")
    assert duplicate.value.args == ("BTM-2026-000002",)


def test_then_a_concurrent_retry_with_the_same_key():
    assert decisions.after_clash(clash(earlier=Earlier("h1", CREATED)), "h1") is CREATED
    with pytest.raises(decisions.IdempotencyMismatch):
        decisions.after_clash(clash(earlier=Earlier("h0", CREATED)), "h1")


def test_refusals_keep_the_plain_reason_in_str_and_the_answer_in_message():
    unknown = decisions.UnknownTenant("unit `x` tidak dikenal")
    assert str(unknown) == "unit `x` tidak dikenal" and unknown.field == "tenant"
    assert unknown.message == "Kolom `tenant`: unit `x` tidak dikenal"
    upload_ = decisions.UnknownUpload("ab12")
    assert upload_.args[0] == "ab12" and upload_.message.startswith("Lampiran `ab12` tidak ada")


def test_the_reporter_holding_the_token_replies_or_gives_feedback():
    ticket = Ticket()
    reply = decisions.follow_up(ticket.number, ticket.received, TOKEN, Message(message="ini"),
                                stamp())
    assert isinstance(reply, ReporterReplied) and reply.channel == "web"
    assert reply.ticket_id == ticket.ticket_id and reply.message == "ini"
    said = decisions.follow_up(ticket.number, ticket.received, TOKEN,
                               Feedback(solved=False, message="belum"), stamp())
    assert isinstance(said, ReporterFeedback) and said.solved is False


def test_a_wrong_token_or_no_ticket_is_not_found_alike():
    ticket = Ticket()
    for received in (ticket.received, None):
        with pytest.raises(TicketNotFound):
            decisions.follow_up(ticket.number, received, "salah", Message(message="x"), stamp())
