"""The erasure of a reporter's personal data (UU PDP 27/2022, Pasal 8 and the end of a unit's
retention period), recorded on each ticket it touched.

The event carries no personal value: only why (a request, or retention) and who. Every service
that keeps a plaintext copy of the ticket's personal data scrubs it when it consumes this event
(docs/privacy.md); the ticket's key is already gone by then (`platform/keystore.py`), so the
sealed values in events, the stream and the object store can no longer be read.
"""

from __future__ import annotations

from typing import Literal

from .envelope import Actor, TicketEvent

# What staff and reporter pages show in place of an erased value.
ERASED = "[data dihapus]"

ErasureReason = Literal["request", "retention"]


class PersonalDataErased(TicketEvent, frozen=True, kw_only=True,
                         tag="ticket.personal_data_erased"):
    """The reporter's personal data on this ticket was erased; the ticket itself stays."""

    reason: ErasureReason
    actor: Actor
