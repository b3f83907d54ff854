"""The page after a new ticket: its number and token to copy, and when an answer is due.

The due time is the first-response deadline of the ticket as the desk knows it once triage has
classified it; before that (the page comes right after the submit), the latest first-response
deadline any category of the unit's standard gives from the time the report arrived, in the
unit's business calendar (sla/units.py): the helpdesk answers by then whatever the category.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Request, Response

from ...sla.units import due
from .application import WebFrontend
from .render import page
from .session import ticket_token

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")


def long_date(when: datetime, zone: str) -> str:
    """`Kamis, 3 Desember 2026 pukul 15.00 WIB`."""
    local = when.astimezone(ZoneInfo(zone))
    return (f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year} "
            f"pukul {local:%H.%M} {local.tzname()}")


def first_answer_due(unit, received: datetime) -> datetime | None:
    """The latest first-response deadline of the unit's categories for a report received then."""
    dues = [due(unit, received, category.first_response) for category in unit.categories]
    return max((d for d in dues if d is not None), default=None)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def created_page(request: Request, web: WebFrontend, number: str) -> Response:
    # The token is shown once more in the page (to note down), never in its address.
    token = ticket_token(request, web.signer, number)
    view = None
    if token:
        answer = await web.call("GET", f"/api/v1/tickets/{number}", params={"token": token})
        view = answer.body if answer.ok and isinstance(answer.body, dict) else None
    unit = web.unit(view["tenant"]) if view else next(
        (u for u in web.units() if number.startswith(f"{u.number_prefix}-")), None)
    due_at = _when(view.get("first_response_due")) if view else None
    # Without the ticket's cookie this may be a later visit: no deadline guessed from now.
    if due_at is None and unit is not None and token and not (view and view.get("sla_paused")):
        received = next((_when(e["occurred_at"]) for e in (view or {}).get("timeline", [])
                         if e.get("type") == "ticket.received"), None)
        due_at = first_answer_due(unit, received or web.now())
    zone = unit.calendar.timezone if unit is not None else "Asia/Jakarta"
    return page(request, "created.html", number=number, token=token, unit=unit,
                due_at=due_at, due_text=long_date(due_at, zone) if due_at else "")
