"""notify's decision table (decisions.plan), the mails' HTML, and the thread headers a mail is
built with: pure parts, no server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy

from lpse_helpdesk.schemas import new_envelope
from lpse_helpdesk.schemas import events as ev
from lpse_helpdesk.services.notify import decisions, outgoing, threads
from lpse_helpdesk.services.notify.messages import paragraphs, render
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.workflow.state import fold_state

STANDARDS = load_standards()
AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
TICKET = uuid.uuid4()
STAFF = ev.Actor(id="sari", role="helpdesk")
STATUS, SURVEY, PAGE = "https://h.example/portal/status?nomor=X", "https://h.example/s", \
    "https://h.example/staf/tiket/BTM-2026-000001"


def _received(**extra) -> ev.TicketReceived:
    fields = dict(number="BTM-2026-000001", channel="email", subject="Login gagal",
                  reporter=ev.Reporter(name="Rudi", email="rudi@contoh.id"),
                  description="Tolong", access_token_sha256="0" * 64)
    return ev.TicketReceived(**new_envelope(TICKET, "batam", AT), **{**fields, **extra})


def _plan(*events) -> list[decisions.Planned]:
    state = fold_state(list(events))
    return decisions.plan(events[-1], state, STANDARDS["batam"], STATUS, SURVEY, PAGE)


def test_the_decision_table_names_who_is_told_of_each_event():
    received = _received()
    planned = _plan(received)
    assert [(p.template, p.recipient) for p in planned] == [
        ("received", "rudi@contoh.id"), ("staff_new", "lpse@batam.go.id")]
    reporter, staff = planned
    assert staff.context["staff_url"] == PAGE and reporter.context["staff_url"] == ""
    replied = ev.TicketReplied(**new_envelope(TICKET, "batam", AT), message="Coba lagi",
                               actor=STAFF)
    assert [(p.template, p.recipient) for p in _plan(received, replied)] == [
        ("replied", "rudi@contoh.id")]
    answer = ev.ReporterReplied(**new_envelope(TICKET, "batam", AT), message="Masih gagal",
                                channel="email")
    assert [p.template for p in _plan(received, answer)] == ["staff_reporter_replied"]
    note = ev.NoteAdded(**new_envelope(TICKET, "batam", AT), message="catatan", actor=STAFF)
    assert _plan(received, note) == []  # a note is for staff eyes on the page only
    anonymous = _received(reporter=ev.Reporter(name="Tamu"))
    assert [p.template for p in _plan(anonymous)] == ["staff_new"]


def test_html_has_real_paragraphs_line_breaks_and_links_and_escapes_the_rest():
    html = str(paragraphs("Halo <b>Rudi</b>,\nlihat https://h.example/a?x=1&y=2.\n\nSalam"))
    assert html == ('<p>Halo &lt;b&gt;Rudi&lt;/b&gt;,<br>\nlihat <a href="https://h.example/a?'
                    'x=1&amp;y=2">https://h.example/a?x=1&amp;y=2</a>.</p>\n<p>Salam</p>')
    planned = _plan(_received())
    subject, text, html = render(planned[1].template, planned[1].context)
    assert subject.startswith("[BTM-2026-000001]") and PAGE in text
    assert f'<a href="{PAGE}">' in html and "&lt;br&gt;" not in html


def test_a_mail_carries_its_threads_headers_and_the_units_reply_to():
    unit = STANDARDS["batam"]
    settings = Settings(mail_domain="helpdesk.example.go.id", mail_from="noreply@helpdesk.example.go.id")
    thread = outgoing.Thread("BTM-2026-000001", "<first@cv-andalas.co.id>")
    built = outgoing.compose("6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11", unit, "rudi@contoh.id",
                             "[BTM-2026-000001] Tanda terima", "teks", "<p>teks</p>", thread,
                             settings, "http://127.0.0.1:8000", None)
    m = message_from_bytes(built.raw, policy=policy.default)
    assert str(m["Message-ID"]) == ("<lpse.BTM-2026-000001.6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11"
                                    "@helpdesk.example.go.id>")
    assert str(m["In-Reply-To"]) == str(m["References"]) == "<first@cv-andalas.co.id>"
    assert m["From"].addresses[0].addr_spec == "noreply@helpdesk.example.go.id"
    assert str(m["Reply-To"]) == "lpse@batam.go.id" and built.sender == "noreply@helpdesk.example.go.id"
    web = outgoing.compose("x", unit, "rudi@contoh.id", "[BTM-2026-000002] Tanda terima", "t",
                           "h", outgoing.Thread("", ""), Settings(), "http://127.0.0.1:8000", None)
    m = message_from_bytes(web.raw, policy=policy.default)
    assert str(m["In-Reply-To"]) == "<lpse.BTM-2026-000002@batam.go.id>"
    assert m["Reply-To"] is None and m["From"].addresses[0].addr_spec == "lpse@batam.go.id"
    assert str(m["Message-ID"]) == "<lpse.BTM-2026-000002.x@batam.go.id>"
    assert threads.number_in_references([str(m["In-Reply-To"])]) == "BTM-2026-000002"
