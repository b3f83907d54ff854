"""Desk's bulk projection: the read-model rows of a whole replay (`rebuild desk`,
`platform/rebuild.py`), each ticket folded once instead of once per event."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import NamedTuple

from ...platform.store import ServiceStore
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...workflow import history
from ...workflow.state import fold_state
from .views import _state_sql, _state_values


class _Held(NamedTuple):
    """A ticket in `BulkProjection`'s window."""

    text: str  # str(ticket id): Python code, so once per ticket, not once per row
    events: list[AnyTicketEvent]  # in stream order
    ids: set[uuid.UUID]  # their event ids (a republished duplicate is skipped)


class BulkProjection:
    """The rows `project` leaves after handling every replayed event, a chunk of the stream at
    a time (`rebuild desk`, `platform/rebuild.py`): the timeline rows and ticket index as each
    chunk comes (the first sequence of an event id wins, as `ON CONFLICT DO NOTHING` makes
    it), and ONE state row per ticket, folded from its whole history instead of once per event.

    A ticket's history stays in memory while it is among the `window` events touched most
    recently. Beyond that its state row is written and its events let go; if a later event
    belongs to it, its history is read back from the timeline rows already written (in the
    rebuild's transaction) and it joins the window again. So memory is bounded by the window,
    not by the stream, and a stream whose tickets end within the window is read only once.

    The history is ordered as `history.load` orders it when the live projection handles a
    ticket's last event: the projected events in stream order, then the desk's own decisions
    not (yet) on the stream (`own`), stable-sorted by decision time.
    `add` and `finish` return `(sql, rows)` for `ServiceStore.execute_many`; the SQL is
    `project`'s own.
    """

    def __init__(self, store: ServiceStore, standards: dict, own: list[AnyTicketEvent] = (),
                 window: int = 50_000):
        self.store, self.standards, self.window = store, standards, window
        self.own: dict = {}  # ticket id -> the desk's own events not known to be on the stream
        for event in own:
            self.own.setdefault(event.ticket_id, []).append(event)
        self.tickets: OrderedDict[uuid.UUID, _Held] = OrderedDict()  # least recently touched first
        self.held = 0  # events in `tickets`
        self.let_go: set[int] = set()  # tickets whose events were let go (uuid.int: compact)
        self.read_back = 0  # tickets let go and then read back from their timeline rows

    def add(self, replayed: list[tuple[int, AnyTicketEvent, str | None]],
            ) -> list[tuple[str, list[tuple]]]:
        """`replayed`: (stream sequence, event, its encoding when the wire bytes are it)."""
        p = self.store.prefix
        timeline, index = [], []
        append_row, received, tickets = history.append_row, ev.TicketReceived, self.tickets
        for seq, event, wire in replayed:
            ticket = tickets.get(event.ticket_id)
            if ticket is None:
                ticket = self._open(event.ticket_id)
            else:
                tickets.move_to_end(event.ticket_id)
            if event.event_id in ticket.ids:
                continue
            ticket.events.append(event)
            ticket.ids.add(event.event_id)
            self.held += 1
            # `append_row`'s row; the wire bytes spare sealing the event again.
            timeline.append(append_row(event, seq, ticket.text) if wire is None else (
                str(event.event_id), ticket.text, seq, event.tag, event.occurred_at.isoformat(),
                wire))
            if isinstance(event, received):
                index.append((ticket.text, event.number, event.tenant,
                              event.access_token_sha256, event.occurred_at.isoformat()))
        statements = [
            (history.append_sql(self.store), timeline),
            (f"INSERT INTO {p}_tickets VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", index),
        ]
        if self.held > self.window:  # after this chunk's timeline rows, which a reload reads
            statements.append(self._states(self._oldest(self.held - self.window * 9 // 10)))
        return statements

    def finish(self) -> list[tuple[str, list[tuple]]]:
        return [self._states(list(self.tickets.items()))]

    def _open(self, ticket_id) -> tuple:
        """A ticket not in the window: new, or let go before and read back."""
        events: list = []
        if ticket_id.int in self.let_go:
            self.let_go.discard(ticket_id.int)
            self.read_back += 1
            events = history.projected(self.store, ticket_id)  # this transaction's rows too
            self.held += len(events)
        ticket = self.tickets[ticket_id] = _Held(str(ticket_id), events,
                                                 {e.event_id for e in events})
        return ticket

    def _oldest(self, count: int) -> list:
        """Let go of the least recently touched tickets until `count` events are freed."""
        gone = []
        while count > 0 and self.tickets:
            ticket_id, ticket = self.tickets.popitem(last=False)
            count -= len(ticket.events)
            self.held -= len(ticket.events)
            self.let_go.add(ticket_id.int)
            gone.append((ticket_id, ticket))
        return gone

    def _states(self, tickets: list) -> tuple[str, list[tuple]]:
        states = []
        for ticket_id, ticket in tickets:
            events = ticket.events + [e for e in self.own.get(ticket_id, ())
                                      if e.event_id not in ticket.ids]
            events.sort(key=_occurred_at)  # stable: stream order among equal times
            state = fold_state(events)
            if state is not None:
                states.append(_state_values(state, events, self.standards.get(state.tenant),
                                            ticket.text))
        return (_state_sql(self.store.prefix), states)


def _occurred_at(event: AnyTicketEvent):
    return event.occurred_at
