"""The unit's fetched mailboxes, `/staf/kotak-surat`: for each mailbox its unit's standard names
(`[[mail.mailboxes]]`), whether fetching works, since when, the last good round, what went
wrong in plain words and when it is tried again, so that a clerk knows mail is not arriving
before a reporter calls about it. The queue shows a short warning that links here
(`trouble`). Read from intake's `GET /api/v1/mail/mailboxes` with the staff member's token."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from ...platform.auth import Principal
from .answers import refusal, unknown_unit
from .application import WebFrontend
from .render import page
from .session import staff_session
from .staff import unit_for, units_for

HOME = "/staf/kotak-surat"
ROLES = ("helpdesk", "koordinator", "kepala_unit", "admin")  # intake's HELD_MAIL_ROLES
STATES = {"ok": "OK", "error": "gagal", "starting": "sedang menyambung"}
SECURITY = {"tls": "TLS", "starttls": "STARTTLS", "plain": "tanpa enkripsi"}


def rows(unit, reported: list[dict]) -> list[dict]:
    """One row per mailbox of the standard, with what intake reports of it (nothing yet when
    intake has not started it)."""
    by_label = {r["mailbox"]: r for r in reported}
    found = []
    for box in unit.mail.mailboxes:
        status = by_label.get(box.label, {})
        state = status.get("state", "")
        found.append({
            "address": box.username, "server": f"{box.host}:{box.port_or_default()}",
            "protocol": f"{box.protocol.upper()} ({SECURITY[box.security]})",
            "folder": box.folder if box.protocol == "imap" else "",
            "state": state or "unknown",
            "state_text": STATES.get(state, "belum ada kabar dari layanan intake"),
            "problem": status.get("problem") or status.get("error", ""),
            "error": status.get("error", ""), "since": status.get("since", ""),
            "last_ok": status.get("last_ok", ""), "retry_at": status.get("retry_at", ""),
            "fetched": status.get("fetched", 0), "refused": status.get("refused", 0)})
    return found


async def trouble(web: WebFrontend, token: str, principal: Principal, unit) -> list[dict]:
    """The unit's mailboxes that fail now, for the queue's warning; [] when it has none, the
    staff member may not see them, or intake does not answer (the queue still shows)."""
    if unit is None or not unit.mail.mailboxes or principal.role not in ROLES:
        return []
    answer = await web.call("GET", "/api/v1/mail/mailboxes", staff_token=token,
                            params={"tenant": unit.tenant})
    if not answer.ok:
        return []
    return [r for r in rows(unit, answer.body) if r["state"] == "error"]


class MailboxPages(Controller):
    path = HOME
    guards = [staff_session]

    @get("/")
    async def mailboxes(self, request: Request, who: tuple[Principal, str],
                        web: WebFrontend) -> Response:
        principal, token = who
        unit = unit_for(web, request, principal)
        if unit is None:
            return unknown_unit(request, principal)
        reported = []
        if unit.mail.mailboxes:
            answer = await web.call("GET", "/api/v1/mail/mailboxes", staff_token=token,
                                    params={"tenant": unit.tenant})
            if not answer.ok:
                return refusal(request, answer, principal, back="/staf/antrean")
            reported = answer.body
        return page(request, "mailboxes.html", staff=principal, unit=unit,
                    units=units_for(web, principal), boxes=rows(unit, reported),
                    zone=unit.calendar.timezone)


CONTROLLERS = [MailboxPages]
