"""A unit standard's `[mail]` section: how the unit sends, which mailboxes it fetches, and the
clear errors `standards check` gives for what is wrong (never a password in the file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lpse_helpdesk.standards.loader import SHIPPED_DIR, check_files, load_standard
from lpse_helpdesk.standards.mailconf import Mailbox, Submission

MAIL = """
[mail]
sending = "unit"
closed_reply = "ask_staff"

[mail.submission]
host = "smtp.gmail.com"
username = "provlampunglpse@gmail.com"
password_env = "LAMPUNG_SMTP_PASSWORD"

[[mail.mailboxes]]
protocol = "imap"
host = "imap.gmail.com"
username = "provlampunglpse@gmail.com"
password_file = "/etc/lpse-helpdesk/lampung-imap"
done_folder = "Helpdesk/Selesai"
"""


def _unit(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "lampung.toml"
    path.write_text((SHIPPED_DIR / "lampung.toml").read_text() + extra)
    return path


def test_a_unit_sends_through_its_own_server_and_names_its_mailbox(tmp_path, monkeypatch):
    unit = load_standard(_unit(tmp_path, MAIL))
    assert unit.mail.sending == "unit" and unit.mail.closed_reply == "ask_staff"
    assert unit.mail.submission.port_or_default() == 587  # STARTTLS, Gmail's submission port
    [box] = unit.mail.mailboxes
    assert box.port_or_default() == 993 and box.label == (
        "imap://provlampunglpse@gmail.com@imap.gmail.com:993/INBOX")
    monkeypatch.setenv("LAMPUNG_SMTP_PASSWORD", "abcd efgh ijkl mnop")
    assert unit.mail.submission.password() == "abcd efgh ijkl mnop"
    secret = tmp_path / "imap-password"
    secret.write_text("rahasia\n")
    assert Mailbox(protocol="pop3", host="pop.mail.yahoo.com", username="u",
                   password_file=str(secret)).password() == "rahasia"
    monkeypatch.delenv("LAMPUNG_SMTP_PASSWORD")
    with pytest.raises(LookupError, match="LAMPUNG_SMTP_PASSWORD"):
        unit.mail.submission.password()
    with pytest.raises(LookupError, match="tidak terbaca"):
        Submission(host="h.id", username="u", password_file=str(tmp_path / "none")).password()


def test_the_shipped_units_keep_sending_as_before():
    for name in ("basarnas", "batam", "batubara", "lampung", "tuban"):
        unit = load_standard(SHIPPED_DIR / f"{name}.toml")
        assert unit.mail.sending == "helpdesk" and unit.mail.mailboxes == ()


@pytest.mark.parametrize(("extra", "expected"), [
    ('[mail]\nsending = "unit"\n', "mail.submission: sending = 'unit' needs [mail.submission]"),
    ('[mail.submission]\nhost = "smtp.gmail.com"\nusername = "u"\n',
     "mail.submission.password_env: name exactly one of password_env"),
    ('[mail.submission]\nhost = "smtp.gmail.com"\nusername = "u"\npassword = "rahasia"\n',
     "mail.submission.password: unknown key"),
    ('[[mail.mailboxes]]\nprotocol = "imap"\nhost = "imap.example.id"\nusername = "u"\n'
     'password_env = "X"\nsecurity = "plain"\n',
     "mail.mailboxes[0].security: 'plain' sends the password unencrypted"),
    ('[[mail.mailboxes]]\nprotocol = "pop3"\nhost = "pop.example.id"\nusername = "u"\n'
     'password_env = "X"\ndone_folder = "Selesai"\n', "mail.mailboxes[0].folder: POP3 has no"),
    ('[mail]\nclosed_reply = "ignore"\n',
     "mail.closed_reply: expected one of 'reopen', 'ask_staff'"),
])
def test_mistakes_in_the_mail_section_are_named_by_key(tmp_path, extra, expected):
    [error] = check_files([_unit(tmp_path, "\n" + extra)])
    assert expected in error and "lampung.toml" in error, error
