"""The helpdesk killed (SIGKILL) in the middle of fetching a unit's mailbox: after a restart
every mail delivered there is a ticket exactly once. `lpse-helpdesk run intake` as its own
process against a real Dovecot (tests/dovecot.py), with the unit's standard naming the mailbox
in an operator's standards folder (HELPDESK_STANDARDS_DIR)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from dovecot import PASSWORD, USER, Dovecot
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.standards.loader import SHIPPED_DIR
from test_mail_intake import mail

MAILS = 60
ENV = "LPSE_TEST_MAILBOX_PASSWORD"


@pytest.fixture
def dovecot():
    server = Dovecot()
    server.start()
    yield server
    server.stop()


def _standards(folder, dovecot) -> None:
    folder.mkdir()
    for path in SHIPPED_DIR.glob("*.toml"):
        (folder / path.name).write_text(path.read_text())
    with open(folder / "batam.toml", "a") as unit:
        unit.write(f"""
[[mail.mailboxes]]
protocol = "imap"
host = "127.0.0.1"
port = {dovecot.imaps}
security = "tls"
username = "{USER}"
password_env = "{ENV}"
ca_file = "{dovecot.cert}"
poll_seconds = 5
""")


def _tickets(data) -> int:
    path = data / "intake.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path, timeout=10) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM intake_ticket_numbers").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _start(data, standards, nats_url):
    return subprocess.Popen(
        [sys.executable, "-m", "lpse_helpdesk.cli", "run", "intake", "--nats", nats_url,
         "--data-dir", str(data), "--http-port", str(free_port())],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, ENV: PASSWORD, "HELPDESK_STANDARDS_DIR": str(standards),
             "HELPDESK_SECRET": "rahasia-bersama-" + "x" * 32,
             "HELPDESK_RATE_MAILS_PER_SENDER_PER_HOUR": "1000"})


def test_killed_mid_fetch_every_mail_is_a_ticket_once(tmp_path, nats_server, dovecot):
    for i in range(MAILS):
        dovecot.deliver(mail("lpse@batam.go.id", f"Pertanyaan {i}", f"Isi {i}.").as_bytes())
    standards, data = tmp_path / "standards", tmp_path / "data"
    _standards(standards, dovecot)
    first = _start(data, standards, nats_server.url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _tickets(data) < 5:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # in the middle: some stored, most not yet
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    stored, left = _tickets(data), dovecot.count()
    assert 5 <= stored < MAILS and left > 0, (stored, left)

    second = _start(data, standards, nats_server.url)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (dovecot.count() or _tickets(data) < MAILS):
            time.sleep(0.2)
        assert dovecot.count() == 0
        time.sleep(1)  # nothing more comes of it
        assert _tickets(data) == MAILS
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
