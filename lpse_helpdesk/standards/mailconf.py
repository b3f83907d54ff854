"""A unit's `[mail]` section: how the helpdesk sends as the unit, which of the unit's own
mailboxes it fetches, and what a reporter's mail to a closed ticket does.

Three of the five units publish a Gmail or Yahoo address. Mail sent `From` such an address
through any server but Google's or Yahoo's fails their DMARC and lands in spam or nowhere; so a
unit either sends through its own submission server (`sending = "unit"`, e.g. Gmail's
smtp.gmail.com:587 with an app password) with its address as From, or lets the helpdesk send
(`sending = "helpdesk"`, through `HELPDESK_SMTP_URL`) from `HELPDESK_MAIL_FROM` with the unit's
address in Reply-To. Passwords never sit in this file: each account names an environment
variable (`password_env`) or a file (`password_file`, its first line) that holds it.

No import of model.py: model.py imports this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Host = Annotated[str, Meta(pattern=r"^[A-Za-z0-9.-]{1,253}$")]
Port = Annotated[int, Meta(ge=0, le=65535)]
Name = Annotated[str, Meta(min_length=1, max_length=254)]
EnvName = Annotated[str, Meta(pattern=r"^$|^[A-Z_][A-Z0-9_]{0,99}$")]
PathText = Annotated[str, Meta(max_length=500)]
DEFAULT_PORTS = {("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "plain"): 143,
                 ("pop3", "tls"): 995, ("pop3", "starttls"): 110, ("pop3", "plain"): 110,
                 ("smtp", "tls"): 465, ("smtp", "starttls"): 587, ("smtp", "plain"): 25}


class _Struct(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class Account(_Struct, kw_only=True):
    """A login on a mail server. `security`: `tls` (TLS from the first byte, ports 465, 993,
    995), `starttls` (upgraded, 587, 143, 110), `plain` only for a server on this machine.
    `ca_file`: a CA to trust besides the system's (a unit's own server, tests)."""

    host: Host
    port: Port = 0  # 0: the usual port for the protocol and security
    security: Literal["tls", "starttls", "plain"] = "tls"
    username: Name
    password_env: EnvName = ""
    password_file: PathText = ""
    ca_file: PathText = ""

    def password(self) -> str:
        """The password from the environment or the file; LookupError saying which is
        missing (shown on /ready and to staff, never the password)."""
        if self.password_env:
            value = os.environ.get(self.password_env, "")
            if not value:
                raise LookupError(f"variabel lingkungan {self.password_env} kosong atau tidak ada")
            return value
        try:
            lines = Path(self.password_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise LookupError(f"berkas sandi {self.password_file} tidak terbaca: "
                              f"{exc.strerror or exc}") from None
        if not lines or not lines[0].strip():
            raise LookupError(f"berkas sandi {self.password_file} kosong")
        return lines[0].strip()


class Submission(Account, kw_only=True):
    security: Literal["tls", "starttls", "plain"] = "starttls"

    def port_or_default(self) -> int:
        return self.port or DEFAULT_PORTS[("smtp", self.security)]


class Mailbox(Account, kw_only=True):
    """One of the unit's mailboxes: its mail becomes tickets and replies like mail to the SMTP
    listener. IMAP uses IDLE where the server offers it and polls otherwise; after the ticket
    or reply is stored the message is moved to `done_folder`, or flagged \\Seen and \\Deleted
    when that is empty (POP3: deleted)."""

    protocol: Literal["imap", "pop3"]
    folder: Annotated[str, Meta(min_length=1, max_length=200)] = "INBOX"
    done_folder: Annotated[str, Meta(max_length=200)] = ""
    poll_seconds: Annotated[int, Meta(ge=5, le=3600)] = 60

    def port_or_default(self) -> int:
        return self.port or DEFAULT_PORTS[(self.protocol, self.security)]

    @property
    def label(self) -> str:
        return f"{self.protocol}://{self.username}@{self.host}:{self.port_or_default()}/{self.folder}"


class MailSettings(_Struct, kw_only=True):
    sending: Literal["helpdesk", "unit"] = "helpdesk"
    submission: Submission | None = None  # required when sending = "unit"
    mailboxes: tuple[Mailbox, ...] = ()
    # A reporter's mail to a closed ticket within reopen_window: reopen it, or hold it for staff
    # to decide. After the window it always opens a new ticket that names the old one.
    closed_reply: Literal["reopen", "ask_staff"] = "reopen"


def problems(mail: MailSettings) -> Iterable[tuple[str, str]]:
    """(key, message) for what types cannot say."""
    if mail.sending == "unit" and mail.submission is None:
        yield ("mail.submission", "sending = 'unit' needs [mail.submission] with host and "
               "username (server kirim unit belum diisi)")
    accounts = [("mail.submission", mail.submission)] if mail.submission else []
    accounts += [(f"mail.mailboxes[{i}]", box) for i, box in enumerate(mail.mailboxes)]
    for path, account in accounts:
        if bool(account.password_env) == bool(account.password_file):
            yield (f"{path}.password_env", "name exactly one of password_env (an environment "
                   "variable) or password_file (a file holding the password); never the password "
                   "itself (sandi tidak boleh ditulis di standar)")
        if account.security == "plain" and account.host not in ("127.0.0.1", "localhost", "::1"):
            yield (f"{path}.security", f"'plain' sends the password unencrypted to {account.host};"
                   " use 'tls' or 'starttls' (sandi tidak boleh dikirim tanpa TLS)")
    seen: set[tuple] = set()
    for i, box in enumerate(mail.mailboxes):
        key = (box.protocol, box.host.lower(), box.username.lower(), box.folder)
        if key in seen:
            yield (f"mail.mailboxes[{i}]", "the same mailbox is listed twice (kotak surat ganda)")
        seen.add(key)
        if box.protocol == "pop3" and (box.done_folder or box.folder != "INBOX"):
            yield (f"mail.mailboxes[{i}].folder", "POP3 has no folders: leave folder and "
                   "done_folder out (POP3 tidak punya folder)")
