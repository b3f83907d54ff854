"""The indexes the desk's reads need so that their cost follows what they show (a page, a
month, the open tickets), not how many tickets the unit has had over the years.

- The queue's default order (the nearest due time, `open_queue.NEAREST_DUE`) and its overdue
  count read an index of the open tickets in that order: a page is the first rows of it.
- The head-of-unit figures (`reports.py`, `agents.py`) count open and closed tickets from
  indexes holding every column they count (no table row is read), and the closes of a period
  from an index of `closed_at`. The count of closed tickets still reads one index entry per
  closed ticket of the unit (a fraction of a microsecond each).
- Escalations and closes of a period (`reports.py`, `agents.py`) are found by an index of
  those event types by unit and time: the unit is the event's own `tenant` member, read from
  its JSON body in SQL, so no other unit's events and no body is decoded in Python. A ticket's
  first response (`agents.py`) by an index of the response events per ticket.
- Search (`search.py`), SQLite: an index of a unit's tickets newest first holding every column
  the search tests (its words and filters), so a page reads index entries until it has its
  tickets and the count reads no table row. The count still reads each of the unit's entries
  (a fraction of a microsecond each); a trigram full-text index (FTS5) was measured slower for
  words most tickets contain, and built at a tenth of the rebuild's speed. PostgreSQL: a
  trigram index (`pg_trgm`) of `search_text`, which `LIKE '%word%'` uses; without the
  extension (not allowed to create it) the search reads the unit's rows, as before.

They are made when the desk's store opens (`views.upgrade`): an existing read model gains them
on the next start, built from its rows once (seconds for a few hundred thousand tickets).
"""

from __future__ import annotations

from ...platform.store import ServiceStore, Write

ESCALATION_TYPES = ("ticket.escalated_to_coordinator", "ticket.escalated_to_lkpp")
CLOSE_TYPES = ("ticket.closed", "ticket.merged")
RESPONSE_TYPES = ("ticket.replied", "ticket.info_requested")
# The nearest due time (first response or resolution); a ticket whose clocks are stopped
# (waiting for the reporter: no due time) sorts after every real time, so it comes last.
NEAREST_DUE = ("COALESCE(CASE WHEN first_response_due IS NULL THEN resolution_due"
               " WHEN resolution_due IS NULL OR first_response_due < resolution_due"
               " THEN first_response_due ELSE resolution_due END, '9999-12-31T23:59:59.999999Z')")


def types_in(types: tuple[str, ...]) -> str:
    """`type IN (...)` with the names written out: a partial index is used only by a query
    whose condition is the index's own, which a parameter is not."""
    return "type IN (" + ", ".join(f"'{t}'" for t in types) + ")"


def json_text(store: ServiceStore, *path: str, body: str = "body") -> str:
    """SQL for a member of an event's JSON `body` as text (NULL when absent)."""
    if store.is_postgres:
        return f"({body}::jsonb #>> '{{{','.join(path)}}}')"
    return f"json_extract({body}, '$.{'.'.join(path)}')"


def actor(store: ServiceStore, body: str = "body") -> str:
    """The username of the staff member who decided an event, "" for none."""
    return f"COALESCE({json_text(store, 'actor', 'id', body=body)}, '')"


def statements(store: ServiceStore) -> list[str]:
    p, n = store.prefix, store.name
    tenant = json_text(store, "tenant")
    return [
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_state_urgency ON {p}_ticket_state"
        f" (tenant, ({NEAREST_DUE}), number) WHERE status <> 'closed'",
        # Every column the figures count open tickets by: no table row is read for them. Their
        # queries group in its order, which is what makes SQLite choose it.
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_state_open_counts ON {p}_ticket_state"
        " (tenant, tier, category, channel, assignee, resolution_due, escalations, breached)"
        " WHERE status <> 'closed'",
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_state_closed_at ON {p}_ticket_state"
        " (tenant, closed_at) WHERE status = 'closed'",
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_state_closed_counts ON {p}_ticket_state"
        " (tenant, category, channel, escalations, breached, closed_at, resolution_target)"
        " WHERE status = 'closed'",
        *_search(store),
        # Each with the members the reads take from the body, so that no body is parsed.
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_events_escalations ON {p}_ticket_events"
        f" (({tenant}), occurred_at, ({json_text(store, 'to_tier')}))"
        f" WHERE {types_in(ESCALATION_TYPES)}",
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_events_closes ON {p}_ticket_events"
        f" (({tenant}), occurred_at, ({actor(store)}), ticket_id) WHERE {types_in(CLOSE_TYPES)}",
        f"CREATE INDEX IF NOT EXISTS {n}_ticket_events_responses ON {p}_ticket_events"
        f" (ticket_id, stream_seq, occurred_at, ({actor(store)}))"
        f" WHERE {types_in(RESPONSE_TYPES)}",
    ]


# Every column a search tests, after the order it reads in (`search.py`).
SEARCHED = "tenant, received_at, number, status, category, tier, channel, kind, assignee"
# (and `ticket_id` last: the per-agent figures find a period's tickets by it, `agents.py`)


def _search(store: ServiceStore) -> list[str]:
    p, n = store.prefix, store.name
    if store.is_postgres:
        return [f"CREATE INDEX IF NOT EXISTS {n}_ticket_state_trigram ON {p}_ticket_state"
                " USING gin (search_text gin_trgm_ops)"] if _trigrams(store) else []
    return [f"CREATE INDEX IF NOT EXISTS {n}_ticket_state_search ON {p}_ticket_state"
            f" ({SEARCHED}, search_text, ticket_id)"]


def _trigrams(store: ServiceStore) -> bool:
    """Whether PostgreSQL's `pg_trgm` is there or could be created here."""
    try:
        store.execute([Write("CREATE EXTENSION IF NOT EXISTS pg_trgm")])
        return True
    except Exception:  # noqa: BLE001 - not installed, or not allowed: LIKE reads the rows
        return False


def create(store: ServiceStore) -> None:
    store.execute([Write(sql) for sql in statements(store)])
