"""A reporter's personal data (UU PDP 27/2022): what the desk holds about a person (export), and
its erasure, on request or when a unit's retention period after closing has passed.

Erasing a ticket records `ticket.personal_data_erased` on it (with a row of `_erasures` in the
same transaction: its primary key makes the erasure once per ticket, across restarts and
replicas), then deletes the ticket's key (`platform/keystore.py`), so the sealed values in
events, the stream and the object store cannot be read again. Every service that keeps a
plaintext copy scrubs it when it consumes the event (`privacy_scrub.py` and its callers).
The event is recorded before the key goes: an erase that stops in between is finished by
running it again (the person's tickets are still indexed until their keys are deleted).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from ...platform.store import IntegrityError, ServiceStore, Write, utc_text
from ...schemas import AnyTicketEvent
from ...schemas import events as ev
from ...schemas.privacy_events import ErasureReason, PersonalDataErased
from ...workflow import history
from ...workflow.decide import TicketDecisions, stored
from ...workflow.stamp import Stamp
from ...workflow.state import TicketState, fold_state
from .search import like

TABLES = (
    ("CREATE TABLE IF NOT EXISTS {p}_erasures ("
     " ticket_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, reason TEXT NOT NULL,"
     " erased_at TEXT NOT NULL)"),
    # An erased ticket's files still to delete from the object store (NATS may be away when it
    # is erased): written with the erasure, each row gone once its file is.
    ("CREATE TABLE IF NOT EXISTS {p}_erased_files ("
     " attachment_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL)"),
)


def normalised(email: str) -> str:
    return email.strip().lower()


def is_erased(events: Iterable[AnyTicketEvent]) -> bool:
    return any(isinstance(e, PersonalDataErased) for e in events)


def person_tickets(store: ServiceStore, keys, tenant: str, email: str) -> list[uuid.UUID]:
    """The person's tickets in the unit: those the key store indexes under the address, and
    those whose report names it (tickets stored before the index existed)."""
    wanted = normalised(email)
    if not wanted:
        return []
    found = set(keys.tickets_of(tenant, wanted)) if keys is not None else set()
    rows = store.query(
        f"SELECT ticket_id FROM {store.prefix}_ticket_state WHERE tenant = ?"
        " AND search_text LIKE ? ESCAPE '\\'", (tenant, like(wanted.casefold())))
    for (text,) in rows:
        ticket_id = uuid.UUID(text)
        if ticket_id in found:
            continue
        state = fold_state(history.load(store, ticket_id).events)
        if state is not None and normalised(state.received.reporter.email) == wanted:
            found.add(ticket_id)
    return sorted(found, key=str)


# --- export -----------------------------------------------------------------------------------

def _files(refs: Iterable[ev.AttachmentRef]) -> list[dict]:
    return [{"nama_berkas": a.filename, "jenis": a.content_type, "ukuran": a.size}
            for a in refs]


def _entry(event: AnyTicketEvent) -> dict | None:
    """One message of the ticket's conversation, as the export lists it."""
    at = event.occurred_at.isoformat()
    match event:
        case ev.ReporterReplied():
            return {"waktu": at, "dari": "pelapor", "pesan": event.message,
                    "lampiran": _files(event.attachments)}
        case ev.ReporterFeedback():
            return {"waktu": at, "dari": "pelapor", "terselesaikan": event.solved,
                    "pesan": event.message}
        case ev.TicketReplied() | ev.InfoRequested() | ev.EscalationAnswered():
            return {"waktu": at, "dari": "petugas", "jenis": event.tag, "pesan": event.message}
        case ev.TicketClosed():
            return {"waktu": at, "dari": "petugas", "jenis": event.tag,
                    "pesan": event.resolution}
        case ev.NotificationSent():
            return {"waktu": at, "dari": "sistem", "jenis": event.tag,
                    "penerima": event.recipient, "templat": event.template}
    return None


def ticket_export(events: list[AnyTicketEvent]) -> dict[str, Any] | None:
    """Everything one ticket holds about its reporter."""
    state = fold_state(events)
    if state is None:
        return None
    r = state.received
    survey = next((e for e in events if isinstance(e, ev.SurveySubmitted)), None)
    erased = next((e for e in events if isinstance(e, PersonalDataErased)), None)
    return {
        "nomor": r.number, "unit": r.tenant, "status": state.status, "kanal": r.channel,
        "jenis": r.kind, "diterima": r.occurred_at.isoformat(),
        "ditutup": state.closed_at.isoformat() if state.closed_at else None,
        "pelapor": msgspec.to_builtins(r.reporter), "subjek": r.subject,
        "uraian": r.description, "dokumen": dict(r.documents), "isian": dict(r.fields),
        "lampiran": _files(r.attachments), "nomor_antrean": r.queue_number,
        "percakapan": [x for x in map(_entry, events) if x is not None],
        "survei": None if survey is None else {
            "nilai": msgspec.to_builtins(survey.scores), "komentar": survey.comment,
            "waktu": survey.occurred_at.isoformat()},
        "dihapus": None if erased is None else {
            "waktu": erased.occurred_at.isoformat(), "alasan": erased.reason},
    }


def export(store: ServiceStore, keys, tenant: str, email: str, now: datetime) -> dict:
    """The export of `personal-data export` and `GET /api/v1/personal-data`."""
    tickets = []
    for ticket_id in person_tickets(store, keys, tenant, email):
        entry = ticket_export(history.load(store, ticket_id).events)
        if entry is not None:
            entry["survei_profil"] = _profile(store, ticket_id)
            tickets.append(entry)
    tickets.sort(key=lambda t: t["diterima"])
    return {"unit": tenant, "email": normalised(email), "diekspor": now.isoformat(),
            "jumlah_tiket": len(tickets), "tiket": tickets,
            # No log of staff access to personal data is kept yet (docs/privacy.md).
            "log_akses_staf": None}


def _profile(store: ServiceStore, ticket_id: uuid.UUID) -> dict | None:
    """The SKM respondent's profile, where the desk keeps one."""
    try:
        rows = store.query(f"SELECT * FROM {store.prefix}_survey_profiles WHERE ticket_id = ?",
                           (str(ticket_id),))
    except Exception:  # noqa: BLE001 - a store made before profiles existed
        return None
    if not rows:
        return None
    columns = ("jenis_kelamin", "usia", "pendidikan", "pekerjaan")
    return dict(zip(columns, rows[0][1:], strict=False))


# --- erasure ----------------------------------------------------------------------------------

def decide_erasure(state: TicketState | None, events: list[AnyTicketEvent],
                   reason: ErasureReason, actor: ev.Actor, stamp: Stamp
                   ) -> PersonalDataErased | None:
    """Pure: the erasure event, or None for an unknown ticket or one erased already."""
    if state is None or is_erased(events):
        return None
    return PersonalDataErased(**stamp.envelope(state.received.ticket_id, state.tenant),
                              reason=reason, actor=actor)


def erasure_row(store: ServiceStore, event: PersonalDataErased) -> Write:
    return Write(f"INSERT INTO {store.prefix}_erasures VALUES (?, ?, ?, ?)",
                 (str(event.ticket_id), event.tenant, event.reason, utc_text(event.occurred_at)))


@dataclass(frozen=True)
class Erased:
    ticket_id: uuid.UUID
    number: str
    recorded: bool  # False: it had been erased before (nothing new recorded)
    attachments: tuple[str, ...]  # the object store ids of its files (`_erased_files`)


def erase(store: ServiceStore, tickets: TicketDecisions, keys, tenant: str,
          ticket_ids: Iterable[uuid.UUID], reason: ErasureReason, actor: ev.Actor
          ) -> list[Erased]:
    """Record the erasure on each ticket (once), then delete their keys."""
    done = []
    for ticket_id in ticket_ids:
        recorded, events = False, []
        for _attempt in range(5):
            decided = tickets.decide(ticket_id, lambda state, events, stamp: decide_erasure(
                state, events, reason, actor, stamp), guard=False)  # no workflow state changes
            events = list(decided.known) if decided else history.load(store, ticket_id).events
            if decided is None:
                break
            files = [Write(f"INSERT INTO {store.prefix}_erased_files VALUES (?, ?)"
                           " ON CONFLICT DO NOTHING", (a, str(ticket_id)))
                     for a in dict.fromkeys(attachment_ids(events))]
            try:
                store.record([stored(decided)],
                             writes=[erasure_row(store, decided.event), *files])
                recorded = True
                break
            except IntegrityError:
                continue  # another decision on the ticket, or another erase: look again
        state = fold_state(events)
        if state is None or state.tenant != tenant or not (recorded or is_erased(events)):
            continue  # unknown here, another unit's, or still contended: not erased now
        done.append(Erased(ticket_id, state.received.number, recorded,
                           tuple(attachment_ids(events))))
    if keys is not None and done:
        keys.forget(tenant, [d.ticket_id for d in done])
    return done


def attachment_ids(events: Iterable[AnyTicketEvent]) -> list[str]:
    return [a.id for e in events for a in getattr(e, "attachments", ())]


def pending_files(store: ServiceStore) -> list[str]:
    """Files of erased tickets not yet deleted from the object store."""
    return [row[0] for row in store.query(
        f"SELECT attachment_id FROM {store.prefix}_erased_files ORDER BY 1 LIMIT 1000")]


def files_deleted(store: ServiceStore, ids: list[str]) -> None:
    if ids:
        store.execute([Write(f"DELETE FROM {store.prefix}_erased_files WHERE attachment_id = ?",
                             (i,)) for i in ids])


def due_for_retention(store: ServiceStore, standards, now: datetime
                      ) -> list[tuple[str, uuid.UUID]]:
    """(unit, ticket) closed longer ago than the unit's retention period and not erased yet."""
    due = []
    for tenant, standard in standards.items():
        days = getattr(getattr(standard, "privacy", None), "retention_days", 0)
        if not days:
            continue
        cutoff = utc_text(now - timedelta(days=days))
        rows = store.query(
            f"SELECT s.ticket_id FROM {store.prefix}_ticket_state s"
            f" LEFT JOIN {store.prefix}_erasures e ON e.ticket_id = s.ticket_id"
            " WHERE s.tenant = ? AND s.status = 'closed' AND s.closed_at < ?"
            " AND e.ticket_id IS NULL ORDER BY s.closed_at LIMIT 500", (tenant, cutoff))
        due += [(tenant, uuid.UUID(text)) for (text,) in rows]
    return due
