"""A unit that sends through its own submission server (`[mail] sending = "unit"`, e.g. Gmail
with an app password): STARTTLS, then a login, the unit's own address as From; a wrong password
is a failed attempt retried, and the mail leaves once the secret is right. The server is a real
aiosmtpd that refuses mail before STARTTLS and without a login."""

from __future__ import annotations

import ssl
import subprocess

import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.standards import load_standards
from lpse_helpdesk.standards.mailconf import MailSettings, Submission
from mailsink import MailSink

ENV, PASSWORD = "LPSE_TEST_SUBMISSION_PASSWORD", "abcd efgh ijkl mnop"  # an app password's form
UNIT = "lpse@batam.go.id"


class SubmissionServer(MailSink):
    def __init__(self, cert: str, key: str):
        super().__init__()
        self.cert, self.key, self.logins = cert, key, []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password, session.ssl is not None))
        return AuthResult(success=(login, password) == (UNIT, PASSWORD), handled=False)

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     tls_context=context, require_starttls=True,
                                     auth_required=True, authenticator=self.authenticate)
        self.controller.start()


@pytest.fixture
def server(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    s = SubmissionServer(cert, key)
    s.start()
    yield s
    s.stop()


async def test_a_unit_sends_through_its_own_server_with_starttls_and_login(
        tmp_path, nats_server, server, monkeypatch):
    monkeypatch.setenv(ENV, "sandi-lama")
    standards = dict(load_standards())
    standards["batam"] = msgspec.structs.replace(standards["batam"], mail=MailSettings(
        sending="unit", submission=Submission(
            host="127.0.0.1", port=server.port, security="starttls", username=UNIT,
            password_env=ENV, ca_file=server.cert)))
    # No HELPDESK_SMTP_URL: the unit's own server is the only way out.
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, standards=standards) as hd:
        notify = hd.runtime.service("notify").app
        notify.base_delay = 0.2
        r = await hd.post_ticket("batam")
        assert r.status_code == 201, r.text
        failed = await eventually(lambda: notify.store.query(
            "SELECT last_error FROM notify_mails WHERE last_error IS NOT NULL"),
            what="login ditolak dicatat")
        assert "535" in failed[0][0] and server.messages == []
        assert server.logins and all(over_tls for *_, over_tls in server.logins)
        monkeypatch.setenv(ENV, PASSWORD)  # the unit's admin puts the right app password
        await eventually(lambda: len(server.messages) == 2, timeout=20, what="dua surat terkirim")
        for to, message in server.messages:
            assert message["From"].addresses[0].addr_spec == UNIT and message["Reply-To"] is None
        assert {to for to, _ in server.messages} == {UNIT, "budi@contoh.co.id"}
        assert (UNIT, PASSWORD, True) in server.logins
