"""The reporters' SKM surveys (PermenPANRB 14/2017) as the desk decided them: one row per ticket.

The row is written in the same transaction as the `ticket.survey_submitted` event; its primary
key makes a second survey of one ticket impossible, also when two arrive at once. The
respondent's optional profile is a row of its own table (written with it), so that surveys
stored before the profile existed need no migration: they simply have no profile row.
"""

from __future__ import annotations

from ...platform.store import ServiceStore, Write, utc_text
from ...schemas import events as ev
from ...schemas.survey import SKM_KEYS

PROFILE_COLUMNS = (("jenis_kelamin", "TEXT"), ("usia", "INTEGER"), ("pendidikan", "TEXT"),
                   ("pekerjaan", "TEXT"))

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_surveys ("
    " ticket_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, submitted_at TEXT NOT NULL, "
    + ", ".join(f"{key} INTEGER NOT NULL" for key in SKM_KEYS) + ")",
    "CREATE INDEX IF NOT EXISTS {n}_surveys_tenant ON {p}_surveys (tenant, submitted_at)",
    "CREATE TABLE IF NOT EXISTS {p}_survey_profiles ("
    " ticket_id TEXT PRIMARY KEY, " + ", ".join(f"{key} {kind}" for key, kind in PROFILE_COLUMNS)
    + ")",
)


def row(store: ServiceStore, event: ev.SurveySubmitted) -> Write:
    """The survey's row; an IntegrityError on it means the ticket's survey was already filled."""
    return Write(
        f"INSERT INTO {store.prefix}_surveys (ticket_id, tenant, submitted_at, {', '.join(SKM_KEYS)})"
        f" VALUES ({', '.join('?' * (3 + len(SKM_KEYS)))})",
        (str(event.ticket_id), event.tenant, utc_text(event.occurred_at), *event.scores.values()),
    )


def rows(store: ServiceStore, event: ev.SurveySubmitted) -> list[Write]:
    """The survey's row and its profile's (NULL for each question left empty)."""
    names = ", ".join(key for key, _ in PROFILE_COLUMNS)
    return [row(store, event), Write(
        f"INSERT INTO {store.prefix}_survey_profiles (ticket_id, {names})"
        f" VALUES ({', '.join('?' * (1 + len(PROFILE_COLUMNS)))})",
        (str(event.ticket_id), *(getattr(event.profile, key) for key, _ in PROFILE_COLUMNS)))]


def exists(store: ServiceStore, ticket_id) -> bool:
    return bool(store.query(f"SELECT 1 FROM {store.prefix}_surveys WHERE ticket_id = ?",
                            (str(ticket_id),)))
