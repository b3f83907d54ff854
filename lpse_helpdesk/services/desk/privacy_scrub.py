"""The desk's plaintext copies of an erased ticket's personal data, scrubbed as it projects.

The state row (queues, search) keeps the subject, the reporter's name and address and the
search text in clear: on an erased ticket they are overwritten whenever the row is written,
so an event projected while another process still holds the ticket's key in its cache
(`keystore.CACHE_TTL_S`) cannot bring them back. The timeline rows hold sealed events only.
On the erasure event itself the survey's respondent profile and the ticket's dead letters go,
and the store's file is checkpointed (`platform/privacy_wipe.py`).
"""

from __future__ import annotations

from ...platform import privacy_wipe
from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent
from ...schemas.privacy_events import ERASED, PersonalDataErased
from .privacy import is_erased

_has_column: dict[tuple[int, str], bool] = {}


def _column(store: ServiceStore, table: str, column: str) -> bool:
    """Whether the table has the column (tables gain columns as features arrive)."""
    key = (id(store), f"{table}.{column}")
    if key not in _has_column:
        try:
            store.query(f"SELECT {column} FROM {store.prefix}_{table} LIMIT 0")
            _has_column[key] = True
        except Exception:  # noqa: BLE001 - missing table or column
            _has_column[key] = False
    return _has_column[key]


def scrub(store: ServiceStore, event: AnyTicketEvent, events: list[AnyTicketEvent]
          ) -> list[Write]:
    """Rows to write after the projection of `event` (`events`: the history with it)."""
    if not is_erased(events):
        return []
    p, ticket = store.prefix, str(event.ticket_id)
    number = next((getattr(e, "number", "") for e in events if e.tag == "ticket.received"), "")
    sets = ["subject = ?", "reporter_name = ?", "search_text = ?"]
    params: list = [ERASED, ERASED, number.casefold()]
    if _column(store, "ticket_state", "reporter_email"):
        sets.append("reporter_email = ''")
    writes = [Write(f"UPDATE {p}_ticket_state SET {', '.join(sets)} WHERE ticket_id = ?",
                    (*params, ticket))]
    if isinstance(event, PersonalDataErased):
        if _column(store, "survey_profiles", "ticket_id"):
            writes.append(Write(f"DELETE FROM {p}_survey_profiles WHERE ticket_id = ?",
                                (ticket,)))
        writes.append(privacy_wipe.dead_letters(store, event.ticket_id))
        privacy_wipe.wipe_soon(store)
    return writes
