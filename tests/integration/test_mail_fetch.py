"""A unit's own mailbox, fetched from a real Dovecot (tests/dovecot.py) over TLS: mail
delivered there becomes a ticket once, also when the helpdesk dies between storing the ticket
and marking the mail; a wrong password shows on /ready and fetching resumes by itself once the
password is right; POP3 too."""

from __future__ import annotations

import asyncio
import threading
import time

import msgspec
import pytest

from conftest import eventually, make_settings, running_helpdesk
from dovecot import PASSWORD, USER, Dovecot
from scenario import Desk
from webclient import WebClient, text_of
from lpse_helpdesk.services.intake import mailsession
from lpse_helpdesk.services.intake.fetch_refusal import PER_SENDER
from lpse_helpdesk.services.intake.smtp import MailIntake
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.mailconf import MailSettings, Mailbox
from test_mail_intake import mail

ENV = "LPSE_TEST_MAILBOX_PASSWORD"


@pytest.fixture
def dovecot():
    server = Dovecot()
    server.start()
    yield server
    server.stop()


def standards_with(box: Mailbox) -> dict:
    standards = dict(load_standards())
    standards["batam"] = msgspec.structs.replace(standards["batam"],
                                                 mail=MailSettings(mailboxes=(box,)))
    return standards


def imap_box(dovecot, poll_seconds: int = 5, **extra) -> Mailbox:
    return Mailbox(protocol="imap", host="127.0.0.1", port=dovecot.imaps, security="tls",
                   username=USER, password_env=ENV, ca_file=dovecot.cert,
                   poll_seconds=poll_seconds, **extra)


def tickets(hd) -> list[str]:
    return [row[0] for row in hd.runtime.service("intake").store.query(
        "SELECT number FROM intake_ticket_numbers ORDER BY number")]


async def test_mail_in_the_mailbox_becomes_a_ticket_once_even_across_a_crash(
        tmp_path, nats_server, dovecot, monkeypatch):
    monkeypatch.setenv(ENV, PASSWORD)
    dovecot.deliver(mail("lpse@batam.go.id", "Tidak bisa login", "Mohon bantuan.").as_bytes())
    standards = standards_with(imap_box(dovecot, done_folder="Selesai"))
    settings = make_settings(tmp_path, nats_server.url)

    class Crash(Exception):
        pass

    def dies(self, uid):  # the ticket is stored; the process dies before the mail is moved
        raise Crash("mati sebelum surat ditandai")

    with monkeypatch.context() as patch:
        patch.setattr(mailsession.ImapSession, "done", dies)
        async with running_helpdesk(settings, services=["intake"], standards=standards) as hd:
            await eventually(lambda: len(tickets(hd)) == 1, what="tiket dari kotak surat")
            first = tickets(hd)
    assert dovecot.count() == 1  # not marked: the crash came first

    # Restarted on the same data: the mail is fetched again, changes nothing, and is moved.
    # Polling and renewing IDLE only every 5 minutes now: the next mail, delivered right after
    # the first is marked (often between a SEARCH and the IDLE), can only come through IDLE.
    monkeypatch.setattr(mailsession, "IDLE_RENEW", 300.0)
    standards = standards_with(imap_box(dovecot, poll_seconds=300, done_folder="Selesai"))
    async with running_helpdesk(settings, services=["intake"], standards=standards) as hd:
        await eventually(lambda: dovecot.count() == 0, what="surat dipindahkan")
        assert dovecot.count("Selesai") == 1
        assert tickets(hd) == first
        # New mail arrives while the helpdesk listens (IDLE): a second ticket, once.
        dovecot.deliver(mail("lpse@batam.go.id", "Jadwal pelatihan", "Kapan?").as_bytes())
        await eventually(lambda: len(tickets(hd)) == 2, what="tiket kedua")
        await eventually(lambda: dovecot.count() == 0, what="surat kedua dipindahkan")
        async def fetching_ok():
            return list((await hd.http.get("/ready")).json()["mailboxes"].values()) == ["ok"]
        await eventually(fetching_ok, what="/ready: kotak surat ok")
        assert len(tickets(hd)) == 2


def _listening(dovecot, monkeypatch) -> mailsession.ImapSession:
    monkeypatch.setenv(ENV, PASSWORD)
    current = mailsession.session(imap_box(dovecot, poll_seconds=300))
    current.open()
    assert current.pending() == []
    return current


@pytest.mark.parametrize("told", ["to another command", "when IDLE starts"])
def test_mail_that_came_after_the_last_search_ends_the_wait_at_once(dovecot, monkeypatch, told):
    """The two ways a mail delivered after the last SEARCH is announced: in the answer to a
    later command (imaplib keeps it aside), or right after IDLE's "+" in the same packet (it
    sits in imaplib's buffer, where select() cannot see it). Either way no 5-minute wait."""
    monkeypatch.setattr(mailsession, "IDLE_RENEW", 300.0)
    current = _listening(dovecot, monkeypatch)
    try:
        dovecot.deliver(mail("lpse@batam.go.id", "Baru", "Baru saja.").as_bytes())
        if told == "to another command":
            current.conn.noop()
        started = time.monotonic()
        current.wait(300, threading.Event())
        assert time.monotonic() - started < 2
        assert len(current.pending()) == 1
    finally:
        current.close()


def test_idle_is_renewed_so_a_lost_notification_costs_seconds(dovecot, monkeypatch):
    monkeypatch.setattr(mailsession, "IDLE_RENEW", 1.0)
    current = _listening(dovecot, monkeypatch)
    try:
        started = time.monotonic()
        current.wait(300, threading.Event())  # nothing comes: back after IDLE_RENEW
        assert 0.9 < time.monotonic() - started < 3
        dovecot.deliver(mail("lpse@batam.go.id", "Baru", "Baru saja.").as_bytes())
        started = time.monotonic()
        current.wait(300, threading.Event())  # the connection is usable for the next IDLE
        assert time.monotonic() - started < 0.9
        assert len(current.pending()) == 1
    finally:
        current.close()


async def test_a_wrong_password_is_shown_and_fetching_resumes_by_itself(
        tmp_path, nats_server, dovecot):
    """Also what the unit's staff see in the browser: the mailbox page and the queue's
    warning, and both back to normal once the operator fixes the secret file."""
    secret = tmp_path / "sandi-kotak-surat"
    secret.write_text("sandi-salah\n")
    dovecot.deliver(mail("lpse@batam.go.id", "Gagal unggah", "Unggah gagal.").as_bytes())
    box = msgspec.structs.replace(imap_box(dovecot), password_env="", password_file=str(secret))
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "desk", "web"],
                                standards=standards_with(box)) as hd:
        async def shown():
            state = (await hd.http.get("/ready")).json().get("mailboxes", {})
            return [v for v in state.values() if v.startswith("error")]
        [error] = await eventually(shown, what="sandi salah terlihat di /ready")
        assert error == "error: IMAP: [AUTHENTICATIONFAILED] Authentication failed.", error
        assert PASSWORD not in error and "sandi-salah" not in error
        # The unit's staff see it too, with since when; another unit's staff do not.
        batam, tuban = Desk(hd, "batam"), Desk(hd, "tuban")
        clerk = {"Authorization": f"Bearer {hd.runtime.signer.issue('hd.btm', 'helpdesk', 'batam')}"}
        outsider = {"Authorization":
                    f"Bearer {hd.runtime.signer.issue('hd.tbn', 'helpdesk', 'tuban')}"}
        seen = (await hd.http.get("/api/v1/mail/mailboxes", params={"tenant": "batam"},
                                  headers=clerk)).json()
        assert [(m["state"], m["error"], m["problem"]) for m in seen] == [
            ("error", "IMAP: [AUTHENTICATIONFAILED] Authentication failed.",
             "kata sandi ditolak server (nama pengguna atau kata sandi salah)")]
        assert seen[0]["since"] and seen[0]["retry_at"] >= seen[0]["since"]
        assert seen[0]["mailbox"].startswith(f"imap://{USER}@127.0.0.1:")
        assert (await hd.http.get("/api/v1/mail/mailboxes", params={"tenant": "batam"},
                                  headers=outsider)).status_code == 403
        async with WebClient(str(hd.http.base_url)) as web, \
                WebClient(str(hd.http.base_url)) as other:
            await web.login(await batam.staff("hd.btm", "helpdesk"))
            page = await web.http.get("/staf/kotak-surat")
            words = text_of(page)
            assert page.status_code == 200 and "Kotak surat yang diambil" in words, words
            assert f"{USER} folder INBOX 127.0.0.1:{dovecot.imaps} IMAP (TLS) GAGAL sejak" in words
            assert "kata sandi ditolak server (nama pengguna atau kata sandi salah)" in words
            assert "Kata server: IMAP: [AUTHENTICATIONFAILED]" in words
            assert "sandi-salah" not in page.text and PASSWORD not in page.text
            queue = await web.http.get("/staf/antrean")
            assert 'id="kotak-surat-gagal"' in queue.text, queue.text
            assert f"Pengambilan surat dari {USER} gagal (kata sandi ditolak" in text_of(queue)
            assert 'href="/staf/kotak-surat?tenant=batam"' in queue.text
            # Another unit's clerk: their own unit has no mailbox, Batam's is refused.
            await other.login(await tuban.staff("hd.tbn", "helpdesk"))
            own = text_of(await other.http.get("/staf/kotak-surat"))
            assert "tidak menyebut kotak surat" in own and USER not in own
            assert (await other.http.get("/staf/kotak-surat?tenant=batam")).status_code == 403
            assert tickets(hd) == []

            secret.write_text(PASSWORD + "\n")  # the operator fixes the secret file
            await eventually(lambda: len(tickets(hd)) == 1, timeout=20, what="pulih sendiri")

            async def recovered():
                return list((await hd.http.get("/ready")).json()["mailboxes"].values()) == ["ok"]
            await eventually(recovered, what="/ready pulih")
            words = text_of(await web.http.get("/staf/kotak-surat"))
            assert "GAGAL" not in words and "kata sandi ditolak" not in words, words
            assert "IMAP (TLS) OK sejak" in words and " 1 / 0" in words, words
            assert 'id="kotak-surat-gagal"' not in (await web.http.get("/staf/antrean")).text


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_pop3_mail_becomes_a_ticket_and_is_deleted(tmp_path, nats_server, dovecot,
                                                        monkeypatch, security):
    monkeypatch.setenv(ENV, PASSWORD)
    dovecot.deliver(mail("lpse@batam.go.id", "Lupa sandi", "Mohon reset.").as_bytes())
    port = dovecot.pop3s if security == "tls" else dovecot.pop3
    box = Mailbox(protocol="pop3", host="127.0.0.1", port=port, security=security,
                  username=USER, password_env=ENV, ca_file=dovecot.cert, poll_seconds=5)
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake"], standards=standards_with(box)) as hd:
        await eventually(lambda: len(tickets(hd)) == 1, what="tiket dari POP3")
        await eventually(lambda: dovecot.count() == 0, what="surat dihapus setelah QUIT")
        assert len(tickets(hd)) == 1


async def test_mail_the_intake_refuses_stays_flagged_and_its_sender_is_told_why(
        tmp_path, nats_server, dovecot, monkeypatch, sink):
    """No SMTP session to carry the 5xx: the sender gets a mail saying why, a person only, and
    at most PER_SENDER an hour; every refused mail is flagged, never fetched again."""
    monkeypatch.setenv(ENV, PASSWORD)
    huge = mail("lpse@batam.go.id", "Raksasa", "lampiran raksasa",
                attachments=[("raksasa.pdf", "application", "pdf", b"%PDF-1.4\n" + b"\0" * 9_000_000)])
    dovecot.deliver(huge.as_bytes())  # over the listener's size: refused as over SMTP
    exe = [("x.exe", "application", "x-msdownload", b"MZ")]
    for i in range(PER_SENDER):  # the last one past the sender's hourly answers
        dovecot.deliver(mail("lpse@batam.go.id", f"Berkas {i}", "terlampir", attachments=exe).as_bytes())
    # Mail from programs, refused before the intake's loop check (a line over 998 characters):
    # flagged like the others, and never answered.
    programs = [mail("lpse@batam.go.id", "Libur", "di luar kantor",
                     sender="Robot <robot@cv-andalas.co.id>"),
                mail("lpse@batam.go.id", "Milis", "info", sender="Milis <milis@cv-andalas.co.id>"),
                mail("lpse@batam.go.id", "Gagal kirim", "undeliverable",
                     sender="MAILER-DAEMON@cv-andalas.co.id"),
                mail("lpse@batam.go.id", "Laporan", "laporan pengiriman",
                     sender="Sistem <sistem@cv-andalas.co.id>")]
    programs[0]["Auto-Submitted"] = "auto-replied"
    programs[1]["List-Id"] = "<milis.cv-andalas.co.id>"
    bounce = b"Return-Path: <>\r\n" + programs.pop().as_bytes()
    for raw in [*(each.as_bytes() for each in programs), bounce]:
        dovecot.deliver(raw + b"x" * 1200 + b"\r\n")
    # A mail the intake fails on (a bug, the bus away) waits in the mailbox, unflagged, and
    # holds up neither the others nor the mailbox's state.
    dovecot.deliver(mail("lpse@batam.go.id", "Beracun", "gagal diproses").as_bytes())
    accept = MailIntake._accept

    async def fails_on_one(self, tenant, raw, sender):
        if b"Subject: Beracun" in raw:
            raise RuntimeError("galat di tengah pemrosesan")
        return await accept(self, tenant, raw, sender)
    monkeypatch.setattr(MailIntake, "_accept", fails_on_one)
    dovecot.deliver(mail("lpse@batam.go.id", "Biasa", "Pertanyaan biasa.").as_bytes())
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    refused = 1 + PER_SENDER + len(programs) + 1
    async with running_helpdesk(settings, services=["intake"],
                                standards=standards_with(imap_box(dovecot))) as hd:
        await eventually(lambda: len(tickets(hd)) == 1, what="surat biasa menjadi tiket")
        await eventually(lambda: dovecot.count(criteria="KEYWORD $LpseRefused") == refused,
                         what="surat yang ditolak ditandai")
        # The stored one is removed after its ticket is stored; the refused ones stay for
        # people to read.
        await eventually(lambda: dovecot.count() == refused + 1,
                         what="surat biasa dihapus dari kotak, yang gagal diproses tetap")
        await eventually(lambda: len(sink.messages) >= PER_SENDER, what="jawaban penolakan")
        clerk = {"Authorization": f"Bearer {hd.runtime.signer.issue('hd.btm', 'helpdesk', 'batam')}"}
        [state] = (await hd.http.get("/api/v1/mail/mailboxes", params={"tenant": "batam"},
                                     headers=clerk)).json()
        assert (state["state"], state["fetched"], state["refused"]) == ("ok", 1, refused)
        assert len(tickets(hd)) == 1
        await asyncio.sleep(1)  # nothing more comes
    assert [to for to, _ in sink.messages] == ["rudi@cv-andalas.co.id"] * PER_SENDER
    subjects = [str(m["Subject"]) for _, m in sink.messages]
    assert subjects == ["Surat tidak dapat diproses: Raksasa", "Surat tidak dapat diproses: Berkas 0",
                        "Surat tidak dapat diproses: Berkas 1"], subjects
    first, second = (m.get_body(("plain",)).get_content() for _, m in sink.messages[:2])
    assert "TIDAK dapat kami proses" in first and "surat terlalu besar" in first, first
    assert "x.exe" in second and "552" not in second, second
    assert "/portal/batam/tiket-baru" in second
    assert all(m["Auto-Submitted"] == "auto-generated" for _, m in sink.messages)
