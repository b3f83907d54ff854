"""Which server a unit's mail leaves by, who it is from, and its thread headers.

A unit with `[mail] sending = "unit"` sends through its own submission server (STARTTLS or TLS
and a login, e.g. a Gmail app password) with its own address as From: the only way a Gmail or
Yahoo address passes DMARC. The others send through `HELPDESK_SMTP_URL`; when the operator set
`HELPDESK_MAIL_FROM` (an address on the helpdesk's own domain) that is the From and the unit's
address is the Reply-To, so that reporters still answer the unit.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from . import threads
from .mailer import Mailer, OutgoingMail, build_message

HELPDESK = "helpdesk"  # the route through HELPDESK_SMTP_URL


def route(standard) -> str:
    """The key of the server the unit's mail leaves by: `helpdesk`, or `unit:<tenant>`."""
    return f"unit:{standard.tenant}" if standard.mail.sending == "unit" else HELPDESK


def routes(standards, smtp_url: str) -> dict[str, list[str]]:
    """The units sending by each route; the helpdesk's route only when it has a server."""
    out: dict[str, list[str]] = {}
    for tenant, standard in standards.items():
        out.setdefault(route(standard), []).append(tenant)
    if not smtp_url:
        out.pop(HELPDESK, None)
    return out


def due(store, tenants: list[str], now: str, limit: int) -> list[tuple]:
    """A round of the units' due mails, each with its ticket's number and first Message-ID."""
    p = store.prefix
    return store.query(
        f"SELECT m.id, m.ticket_id, m.tenant, m.template, m.recipient, m.subject, m.text_body,"
        f" m.html_body, m.attempts, COALESCE(t.number, ''), COALESCE(t.first_message_id, '')"
        f" FROM {p}_mails m LEFT JOIN {p}_mail_threads t ON t.ticket_id = m.ticket_id"
        f" WHERE m.status = 'pending' AND m.next_attempt_at <= ? AND m.tenant IN"
        f" ({', '.join('?' * len(tenants))}) ORDER BY m.next_attempt_at LIMIT {limit}",
        (now, *tenants))


def mailer_for(key: str, standards, smtp_url: str) -> Mailer:
    """A Mailer for the route; LookupError when a unit's password cannot be read (its env
    variable or file is missing), which the sender records like an unreachable server."""
    if key == HELPDESK:
        return Mailer(smtp_url)
    account = standards[key.removeprefix("unit:")].mail.submission
    context = None
    if account.security != "plain":
        context = ssl.create_default_context(cafile=account.ca_file or None)
    return Mailer.for_account(
        hostname=account.host, port=account.port_or_default(), username=account.username,
        password=account.password(), use_tls=account.security == "tls",
        start_tls=account.security == "starttls", tls_context=context)


@dataclass(frozen=True)
class Thread:
    number: str
    first_message_id: str  # the reporter's first mail, for tickets that came by mail


def compose(mail_id: str, standard, recipient: str, subject: str, text: str, html: str,
            thread: Thread, settings, public_url: str, unsubscribe: str | None) -> OutgoingMail:
    number = thread.number or threads.number_in_subject(subject)
    domain = threads.mail_domain(settings.mail_domain, public_url, standard.helpdesk_email)
    root = threads.thread_root(number, domain, thread.first_message_id) if number else None
    own_server = standard.mail.sending == "unit"
    sender = standard.helpdesk_email if own_server or not settings.mail_from else settings.mail_from
    return build_message(
        mail_id, f"Helpdesk {standard.name} <{sender}>", recipient, subject, text, html,
        unsubscribe=unsubscribe, message_id=threads.message_id(mail_id, number, domain),
        in_reply_to=root, references=[root] if root else [],
        reply_to=None if sender == standard.helpdesk_email else standard.helpdesk_email)
