"""The Message-IDs of the helpdesk's mails, and how a reply finds its ticket by them.

Every mail notify sends about a ticket is `<lpse.<NUMBER>.<mail id>@<domain>>`: the number lets
intake thread a reply whose subject lost it (Outlook's "AW:", a reporter who retyped the
subject) by its In-Reply-To/References alone, and the mail id (uuid5 of what caused the mail)
lets intake check that the reply names a mail the helpdesk really sent that reporter. Every
mail also names the ticket's thread root in In-Reply-To and References: the reporter's own
first mail for a ticket that came by mail, else `<lpse.<NUMBER>@<domain>>`, so Gmail, Outlook
and Thunderbird keep a ticket's mails in one conversation.

The domain is a real one (RFC 5322 asks for it; some filters score a dotless right-hand side
as spam): `HELPDESK_MAIL_DOMAIN`, else the public URL's host when it is a name with a dot,
else the unit's helpdesk address's domain.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlparse

PREFIX = "lpse"
LEGACY_DOMAIN = "lpse-helpdesk"  # mails sent before the domain was configurable
_OURS = re.compile(r"^lpse\.([A-Z]{3}-\d{4}-\d{6})(?:\.([0-9a-f-]{36}))?@([^@\s<>]+)$")
_LEGACY = re.compile(r"^([0-9a-f-]{36})@lpse-helpdesk$")
_NUMBER = re.compile(r"\[([A-Z]{3}-\d{4}-\d{6})\]")


def real_domain(host: str | None) -> bool:
    if not host or "." not in host.strip("."):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def mail_domain(configured: str, public_url: str, unit_address: str) -> str:
    if configured:
        return configured
    host = urlparse(public_url).hostname if public_url else None
    if real_domain(host):
        return host
    return unit_address.rpartition("@")[2].lower() or LEGACY_DOMAIN


def message_id(mail_id: str, number: str, domain: str) -> str:
    return f"<{PREFIX}.{number}.{mail_id}@{domain}>" if number else f"<{mail_id}@{domain}>"


def thread_root(number: str, domain: str, first_message_id: str = "") -> str:
    """The Message-ID every mail about the ticket answers."""
    return first_message_id or f"<{PREFIX}.{number}@{domain}>"


def number_in_subject(subject: str) -> str:
    """The `[NUMBER]` every template's subject starts with ("" for none)."""
    found = _NUMBER.search(subject[:300])
    return found.group(1) if found else ""


def parse(reference: str) -> tuple[str, str] | None:
    """(ticket number or "", mail id or "") of one of our Message-IDs (with or without <>),
    None for anyone else's."""
    ref = reference.strip().strip("<>")
    found = _OURS.match(ref)
    if found:
        return found.group(1), found.group(2) or ""
    legacy = _LEGACY.match(ref.lower())
    return ("", legacy.group(1)) if legacy else None


def ours(reference: str) -> bool:
    return parse(reference) is not None


def number_in_references(references: list[str]) -> str | None:
    """The ticket a reply answers, read from its In-Reply-To/References (nearest first)."""
    for ref in references:
        parsed = parse(ref)
        if parsed and parsed[0]:
            return parsed[0]
    return None
