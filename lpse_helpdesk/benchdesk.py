"""Desk's read model in `bench --history`'s fast fill (`benchbulk.py`): its bulk projection
(`services/desk/bulk.py`, the one `rebuild desk` uses) instead of the live `desk-view` handler
for every event.

Why: the live handler reloads and refolds the ticket's whole history for each of its events
(O(k^2) per ticket); it was ~40 % of the fill's time. The bulk projection writes each event's
timeline row and the ticket index at once (executemany), and folds each ticket's state row once
(when it leaves the projection's window, or at the end).

What the consumer DECIDES is still decided live: an event `spec.decides` (a reporter's "not
solved", a ticket reaching a rotating tier) goes through the live handler (`TrackedConsumer`,
in its place in stream order, after the rows of every event before it), so its decisions are
the live ones and become the next round's events. During the fill nothing reads the state rows
(the steps and the decisions read the timeline and the ticket index, written as each event
comes); they are all written by `finish`, before the stores close.
"""

from __future__ import annotations

from .platform.rebuilddecode import StreamDecoder


class DeskBulk:
    """Takes the place of desk's `desk-view` in the fill's bus (`OfflineHelpdesk.drain`)."""

    def __init__(self, tracked, spec, store):
        self.tracked, self.spec, self.store = tracked, spec, store
        self.name = tracked.name
        self.projection = spec.bulk()
        # As `rebuild desk` decodes: the wire text is the timeline row's body (sealing is
        # deterministic), so no event is sealed again.
        self.decode = StreamDecoder().decode
        self.track = (f"INSERT INTO {store.tracking_table} (application_name, notification_id)"
                      " VALUES (?, ?) ON CONFLICT DO NOTHING")

    def _rows(self, run: list[tuple]) -> None:
        """Rows and tracking of a run of events that only project."""
        if run:
            self.store.execute_many([*self.projection.add(run),
                                     (self.track, [(self.name, seq) for seq, _, _ in run])])

    def _process_batch(self, items: list[tuple[str, bytes, int, int]]) -> list[tuple]:
        """As `TrackedConsumer._process_batch` (its outcomes), in one transaction."""
        outcomes, run = [], []
        with self.store.batch():
            for item in items:
                event, wire = self.decode(item[1])
                if not self.spec.decides(event):
                    run.append((item[2], event, wire))
                    outcomes.append(("done", event, None, 0.0))
                    continue
                self._rows(run)  # the history before it, as the live handler reads it
                run = []
                outcomes += self.tracked._process_batch([item])
                run.append((item[2], event, wire))  # held for its ticket's state row
            self._rows(run)
        return outcomes

    def finish(self) -> None:
        """Every ticket still in the projection's window: its state row."""
        with self.store.batch():
            self.store.execute_many(self.projection.finish())
