""""Tiket saya" links: who a link proves, for how long, under which keys; and what a
reporter's timeline leaves out."""

from __future__ import annotations

import time

from lpse_helpdesk.platform.auth import TokenSigner
from lpse_helpdesk.platform.keys import key_of
from lpse_helpdesk.services.desk import reporter_links, reporter_view
from lpse_helpdesk.services.desk.reporter_links import Holder, holder, issue

from .tickets import Ticket

OLD, NEW = key_of(b"a" * 32), key_of(b"b" * 32)
SIGNER = TokenSigner([NEW, OLD])


def test_a_link_proves_one_address_of_one_unit_in_any_case():
    link = issue(SIGNER, "batam", "  Ani@Contoh.CO.id ")
    assert holder(SIGNER, link) == Holder("batam", "ani@contoh.co.id")


def test_an_expired_forged_or_altered_link_proves_nothing():
    now = time.time()
    link = issue(SIGNER, "batam", "ani@contoh.co.id", now=now)
    assert holder(SIGNER, link, now=now + reporter_links.LINK_MINUTES * 60 - 1) is not None
    assert holder(SIGNER, link, now=now + reporter_links.LINK_MINUTES * 60 + 1) is None
    expires, payload, mac = link.split(".")
    other = issue(SIGNER, "batam", "budi@contoh.co.id", now=now).split(".")[1]
    for bad in (f"{expires}.{other}.{mac}", f"{int(expires) + 3600}.{payload}.{mac}",
                f"{expires}.{payload}.{mac[:-2]}xx", "", "a.b.c", f"{expires}.{payload}"):
        assert holder(SIGNER, bad, now=now) is None, bad


def test_keys_in_use_verify_and_other_credentials_are_not_links():
    by_old = issue(TokenSigner([OLD]), "batam", "ani@contoh.co.id")
    assert holder(SIGNER, by_old) is not None  # after `secret rotate`, until the old key goes
    assert holder(TokenSigner([NEW]), by_old) is None
    staff = SIGNER.issue("hd.satu", "helpdesk", "batam")
    assert holder(SIGNER, staff) is None
    assert holder(SIGNER, SIGNER.reporter_token("8c8b3c6e-3f7d-4a55-9d49-6a4b2b0c8f11")) is None


def test_a_reporters_timeline_keeps_the_answers_and_drops_staff_work():
    t = Ticket("batam").classified().escalated().answered().closed()
    shown = {e.type: e.event for e in reporter_view.timeline(t.events)}
    assert "confidence" not in shown["ticket.classified"]
    assert shown["ticket.classified"]["category"] == "gangguan"
    assert "reason" not in shown["ticket.escalated_to_coordinator"]
    assert "message" not in shown["ticket.escalation_answered"]
    assert shown["ticket.closed"]["resolution"] == "Akun sudah dibuka kembali."
