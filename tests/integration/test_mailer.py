"""notify's Mailer against a real SMTP listener: one session for a round of mails, a fresh
session after a refused mail, and `Unreachable` when no session can be opened at all."""

from __future__ import annotations

import pytest

from mailsink import MailSink
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.services.notify.mailer import (Mailer, Unreachable, bounced, build_message,
                                                  permanent)


class CountingSink(MailSink):
    """Counts SMTP sessions (one EHLO each) and refuses one recipient."""

    sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == "ditolak@contoh.go.id":
            return "550 kotak surat tidak ada"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def mail(i: int, to: str = "pelapor@contoh.co.id"):
    return build_message(f"id-{i}", "Helpdesk Uji <lpse@uji.go.id>", to, f"Surat {i}",
                         "isi", "<p>isi</p>")


async def test_a_round_of_mails_shares_one_session_and_a_refusal_starts_a_new_one():
    sink = CountingSink()
    sink.start()
    try:
        async with Mailer(sink.url) as mailer:
            for i in range(3):
                await mailer.send(mail(i))
            with pytest.raises(Exception, match="550") as refused:
                await mailer.send(mail(3, "ditolak@contoh.go.id"))
            assert bounced(refused.value) and permanent(refused.value)  # a hard bounce
            await mailer.send(mail(4))
        assert [str(m["Subject"]) for _, m in sink.messages] == [
            "Surat 0", "Surat 1", "Surat 2", "Surat 4"]
        assert str(sink.messages[0][1]["Message-ID"]) == "<id-0@lpse-helpdesk>"
        assert sink.sessions == 2  # the three first mails in one, the last after the refusal
    finally:
        sink.stop()


def test_only_a_5xx_for_the_recipient_is_a_bounce():
    """A bounce stops every later mail to the address; a 4xx or a refused sender (our own
    configuration) must not."""
    from aiosmtplib import (SMTPDataError, SMTPRecipientRefused, SMTPRecipientsRefused,
                            SMTPSenderRefused)

    assert bounced(SMTPRecipientsRefused([SMTPRecipientRefused(550, "tidak ada", "a@b.id")]))
    temporary = SMTPRecipientsRefused([SMTPRecipientRefused(450, "coba lagi", "a@b.id")])
    assert not bounced(temporary) and not permanent(temporary)
    assert permanent(SMTPDataError(554, "ditolak")) and not bounced(SMTPDataError(554, "x"))
    assert not permanent(SMTPSenderRefused(550, "pengirim ditolak", "lpse@uji.go.id"))
    assert not permanent(TimeoutError()) and not bounced(OSError("putus"))


async def test_no_server_is_unreachable():
    with pytest.raises(Unreachable):
        async with Mailer(f"smtp://127.0.0.1:{free_port()}", timeout=2) as mailer:
            await mailer.send(mail(0))


def test_the_built_mail_reads_back_as_written():
    """build_message writes MIME by hand: a standard parser must read back every header and
    both parts, Indonesian text and non-ASCII words included, and a subject cannot inject a
    header."""
    from email import message_from_bytes, policy

    text = "Yth. Bu Siti,\nLaporan Anda — nomor BB-2026-000001 — sudah kami terima.\n" * 4
    built = build_message("f3a1c2d4", "Helpdesk LPSE Kota Batu · Jatim <lpse@batu.go.id>",
                          "siti@contoh.co.id", "[BB-2026-000001] Tanda terima — ok\r\nBcc: x@y.z",
                          text, "<p>Laporan <b>diterima</b> ✓</p>")
    assert built.sender == "lpse@batu.go.id" and built.recipient == "siti@contoh.co.id"
    assert not built.smtputf8 and b"\n" not in built.raw.replace(b"\r\n", b"")
    message = message_from_bytes(built.raw, policy=policy.default)
    assert str(message["From"]) == "Helpdesk LPSE Kota Batu · Jatim <lpse@batu.go.id>"
    assert str(message["Subject"]) == "[BB-2026-000001] Tanda terima — ok Bcc: x@y.z"
    assert message["Bcc"] is None and message["Date"].datetime is not None
    assert str(message["Message-ID"]) == "<f3a1c2d4@lpse-helpdesk>"  # no id given: the old form
    assert message["In-Reply-To"] is None and message["Reply-To"] is None
    assert str(message["Auto-Submitted"]) == "auto-generated"  # RFC 3834: no auto-replies
    assert message.get_body(("plain",)).get_content() == text
    assert message.get_body(("html",)).get_content() == "<p>Laporan <b>diterima</b> ✓</p>"
    assert build_message("x", "a <a@b.id>", "bü@contoh.id", "s", "t", "h").smtputf8


@pytest.mark.parametrize("offered", [True, False])
async def test_an_address_that_is_not_ascii_goes_out_with_smtputf8(offered):
    """A server that offers SMTPUTF8 gets the mail with its UTF-8 address; one that does not
    refuses it with an error, and nothing is delivered."""
    sink = MailSink(smtputf8=offered)
    sink.start()
    try:
        async with Mailer(sink.url) as mailer:
            if offered:
                await mailer.send(mail(0, "bü@contoh.id"))
            else:
                with pytest.raises(Exception, match="(?i)smtputf8|utf8"):
                    await mailer.send(mail(0, "bü@contoh.id"))
        assert [to for to, _ in sink.messages] == (["bü@contoh.id"] if offered else [])
    finally:
        sink.stop()
