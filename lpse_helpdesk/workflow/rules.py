"""Who may do what to a ticket in which state, by the unit's standard.

The helpdesk (tier 1) talks to the reporter and closes, in every standard; a ticket goes up the
unit's chain (of any length) one tier at a time, and any higher tier answers back down to the
helpdesk. At each tier the role named in the unit's chain acts (`admin` may act anywhere in its
units); at the LKPP tier an `lkpp` account of this deployment acts too, beside the local role
that relays LKPP's answer. Notes are open to every staff role of the unit. A refusal is one of the
domain refusals (`lpse_helpdesk.refusals`): its type says why, the HTTP layer its status.
"""

from __future__ import annotations

from .. import refusals
from ..platform.auth import STAFF_ROLES as ANY_STAFF
from ..standards.model import OUTSIDE_TIER
from .state import TicketState

REPORTER_FACING = ("reply", "request-info", "close")
# Who may (re)classify a ticket, in any state: a closed ticket too, so the unit's figures count
# it under the right category.
CLASSIFYING_ROLES = ("helpdesk", "koordinator", "admin_ppe", "admin")
# Every staff action on a ticket, in the order a staff page offers them.
STAFF_ACTIONS = ("classify", "reply", "request-info", "notes", "escalate", "answer", "close",
                 "reopen")


class TicketNotFound(refusals.NotFound, LookupError):
    """No such ticket, or (for a reporter) not theirs: answered alike, so numbers can't be probed.
    Also a LookupError, which the mail entrypoints catch for "no such ticket in this unit"."""

    def __init__(self, number: str):
        super().__init__(f"Tiket {number} tidak ditemukan atau token salah / not found")
        self.number = number


def conflict(message: str) -> refusals.Conflict:
    return refusals.Conflict(message)


def forbidden(message: str) -> refusals.Forbidden:
    return refusals.Forbidden(message)


def acting_role(standard, state: TicketState) -> str:
    """Who acts on the ticket now: the role of its tier in the unit's chain; a complaint
    (pengaduan, saran, masukan) at the first tier goes to the unit's head."""
    if state.received.kind == "complaint" and state.tier == "helpdesk":
        return "kepala_unit"
    return standard.tier(state.tier).role


def acting_roles(standard, state: TicketState) -> tuple[str, ...]:
    """Every role that may act at the ticket's tier: its role, `admin`, and at LKPP `lkpp`."""
    roles = (acting_role(standard, state), "admin")
    return (*roles, "lkpp") if state.tier == OUTSIDE_TIER else roles


def check_classifier(role: str) -> None:
    """(Re)classifying needs no state: triage checks it without folding the ticket."""
    if role not in CLASSIFYING_ROLES:
        raise forbidden(f"Peran `{role}` tidak boleh mengklasifikasi (boleh: "
                        f"{', '.join(CLASSIFYING_ROLES)})")


def check(action: str, state: TicketState, role: str, standard) -> str | None:
    """Raise the refusal with its reason, or return the target tier (escalate/answer)."""
    number = state.received.number
    if action == "classify":
        return check_classifier(role)
    if action == "notes":
        if role not in ANY_STAFF:
            raise forbidden(f"peran `{role}` tidak boleh menulis catatan")
        return None
    if action == "reopen":
        if state.status != "closed":
            raise conflict(f"tiket {number} belum ditutup, tidak bisa dibuka kembali")
        if role not in ("helpdesk", "koordinator", "admin", standard.monitor_role):
            raise forbidden(f"peran `{role}` tidak boleh membuka kembali tiket")
        return None
    if state.status == "closed":
        raise conflict(f"tiket {number} sudah ditutup; buka kembali (reopen) dulu")
    acting = acting_role(standard, state)
    if action in REPORTER_FACING:
        if state.tier != "helpdesk":
            raise conflict(
                f"tiket {number} sedang di tingkat `{state.tier}`; tunggu jawabannya kembali ke "
                "helpdesk sebelum membalas atau menutup")
        if role not in (acting, "admin"):
            raise forbidden(f"hanya `{acting}` yang membalas dan menutup tiket ini di tingkat pertama")
        return None
    if action == "escalate":
        following = standard.tier_after(state.tier)
        if following is None:
            raise conflict(f"tiket {number} sudah di tingkat terakhir rantai eskalasi "
                           f"`{state.tier}` ({standard.name})")
        if role not in acting_roles(standard, state):
            raise forbidden(f"hanya `{acting}` yang boleh mengeskalasi dari tingkat `{state.tier}`")
        return following
    if action == "answer":
        if state.tier == "helpdesk":
            raise conflict(f"tiket {number} tidak sedang dieskalasi; tidak ada yang dijawab")
        if role not in acting_roles(standard, state):
            raise forbidden(f"hanya `{acting}` yang menjawab di tingkat `{state.tier}`")
        return "helpdesk"
    raise refusals.NotFound(f"aksi `{action}` tidak dikenal")


def check_unit(may_act_in: bool, number: str, tenant: str) -> None:
    """A staff member acts only on their own unit's tickets (an admin of every unit anywhere)."""
    if not may_act_in:
        raise forbidden(f"tiket {number} milik unit `{tenant}`, bukan unit Anda")


def allowed_actions(state: TicketState, role: str, standard) -> list[str]:
    """What `role` (staff of the ticket's unit) may do in the ticket's current state: the
    checks the owning services make (`check`)."""
    if standard is None:
        return []
    allowed = []
    for action in STAFF_ACTIONS:
        try:
            check(action, state, role, standard)
        except refusals.Refusal:
            continue
        allowed.append(action)
    return allowed
