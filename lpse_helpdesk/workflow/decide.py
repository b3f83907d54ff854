"""The step every decision on a ticket takes, written once: find the ticket, load its history,
fold its state, take the cross-service guard, decide, record.

The deciding itself is a pure function of the owning service (its `decisions.py`): it gets the
folded state, the history and a `Stamp` (the new event's id and time, so the function needs no
clock and no random source) and returns the event, None (nothing to decide), or raises a
domain refusal. Everything around it (the store, the guard on NATS) is here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import partial

from ..platform.store import ServiceStore, Stored, Write
from ..schemas import AnyTicketEvent
from ..schemas.api import ActionResult
from . import history
from .guard import Decided, DecisionGuard, guarded
from .rules import TicketNotFound
from .stamp import Stamp
from .state import TicketState, fold_state


# (state, history, stamp) -> the event, or None; refusals are raised.
Decision = Callable[[TicketState | None, list[AnyTicketEvent], Stamp], AnyTicketEvent | None]


class TicketDecisions:
    """A service's decisions on tickets, against its own store (`history.TABLES`) and the guard.
    `find(number)` is the service's own lookup of a ticket number (each keeps its own table)."""

    def __init__(self, store: ServiceStore, guard: DecisionGuard | None,
                 now: Callable[[], datetime],
                 find: Callable[[str], uuid.UUID | None] | None = None):
        self.store, self.guard, self.now, self._find = store, guard, now, find

    def find(self, number: str) -> uuid.UUID:
        ticket_id = self._find(number) if self._find is not None else None
        if ticket_id is None:
            raise TicketNotFound(number)
        return ticket_id

    def decide(self, ticket_id: uuid.UUID, decision: Decision, *,
               guard: bool = True) -> Decided | None:
        """Load, fold and decide; under the guard unless `guard=False` (a decision that changes
        no workflow state, e.g. a note, races nobody). Nothing is stored yet."""

        def decide() -> Decided | None:
            loaded = history.load(self.store, ticket_id)
            event = decision(fold_state(loaded.events), loaded.events,
                             Stamp.new(self.now()))
            return None if event is None else Decided(event, loaded.version, tuple(loaded.events))

        if not guard:
            return decide()
        return guarded(self.guard, ticket_id, partial(history.event_ids, self.store, ticket_id),
                       decide)

    def record(self, decided: Decided, writes: Iterable[Write] = ()) -> AnyTicketEvent:
        """Store the decided event at the next version of this service's sequence for the
        ticket (with `writes` in the same transaction): a concurrent decision of this service
        on the same version fails with IntegrityError."""
        self.store.record([stored(decided)], writes=list(writes))
        return decided.event

    def act(self, ticket_id: uuid.UUID, decision: Decision, *, guard: bool = True) -> Decided:
        """Decide and record; the decision must make an event or refuse."""
        decided = self.decide(ticket_id, decision, guard=guard)
        if decided is None:
            raise RuntimeError("a staff action's decision made no event and refused nothing")
        self.record(decided)
        return decided


def stored(decided: Decided) -> Stored:
    event = decided.event
    return Stored(event, event.ticket_id, decided.version + 1)


def action_result(number: str, decided: Decided) -> ActionResult:
    """A staff action's answer: the event it stored and the ticket's state after it."""
    event, after = decided.event, decided.state_after()
    return ActionResult(number=number, type=event.tag, event_id=event.event_id,
                        status=after.status, tier=after.tier)
