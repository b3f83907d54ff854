"""Canned replies (jawaban siap pakai): reply templates a unit's staff keep for themselves, and
their order for the ticket at hand.

They are the desk's own rows, not ticket events: a template is working material of the unit,
not part of any ticket's history. Ranking is word overlap between the ticket (subject,
description, reporter and custom fields: the desk's `search_text`) and the template's title and
body: cheap, explainable, and enough for the few dozen templates a unit keeps. FAQ answers are
ranked by the FAQ publisher's own full-text search (bm25/ts_rank) and listed after these.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from ... import refusals
from ...platform.store import ServiceStore, Write, utc_text

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_canned_replies ("
    " id TEXT PRIMARY KEY, tenant TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,"
    " updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS {n}_canned_replies_tenant ON {p}_canned_replies (tenant)",
)
MAX_PER_UNIT = 500
_WORD = re.compile(r"\w{3,}")


class CannedDraft(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST`/`PUT /api/v1/units/{tenant}/canned-replies[/{id}]`."""

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200,
                                       pattern=r"^(?![\s\S]*[\x00-\x1f\x7f])")]
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000,
                                      pattern=r"^(?![\s\S]*[\x00-\x08\x0b\x0c\x0e-\x1f\x7f])")]


class CannedReply(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    tenant: str
    title: str
    body: str
    updated_by: str
    updated_at: str
    score: int = 0  # words shared with the ticket asked about; 0 without one


class CannedNotFound(refusals.NotFound, LookupError):
    def __init__(self, reply_id: str):
        super().__init__(f"Jawaban siap pakai `{reply_id}` tidak ada di unit ini / "
                         "no such canned reply in this unit", field="id")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def rank(ticket_text: str, replies: list[CannedReply]) -> list[CannedReply]:
    """The replies, most words shared with the ticket first (then by title); each with its
    score."""
    mine = words(ticket_text)
    scored = [msgspec.structs.replace(r, score=len(mine & words(f"{r.title} {r.body}")))
              for r in replies]
    return sorted(scored, key=rank_key)


def rank_key(reply: CannedReply) -> tuple:
    """`rank`'s order, unique by the id."""
    return (-(reply.score or 0), reply.title.casefold(), reply.id)


def listing(store: ServiceStore, tenant: str) -> list[CannedReply]:
    rows = store.query(f"SELECT id, tenant, title, body, updated_by, updated_at FROM"
                       f" {store.prefix}_canned_replies WHERE tenant = ? ORDER BY title, id",
                       (tenant,))
    return [CannedReply(id=i, tenant=t, title=ti, body=b, updated_by=u, updated_at=at)
            for i, t, ti, b, u, at in rows]


def ticket_text(store: ServiceStore, tenant: str, number: str) -> str:
    """What a ticket of the unit says (for ranking); NotFound for another unit's or none."""
    rows = store.query(f"SELECT search_text FROM {store.prefix}_ticket_state"
                       " WHERE tenant = ? AND number = ?", (tenant, number))
    if not rows:
        raise refusals.NotFound(f"Tiket `{number}` tidak ada di unit ini", field="ticket")
    return rows[0][0]


def add(store: ServiceStore, tenant: str, draft: CannedDraft, who: str,
        now: datetime) -> CannedReply:
    (count,), = store.query(f"SELECT COUNT(*) FROM {store.prefix}_canned_replies"
                            " WHERE tenant = ?", (tenant,))
    if count >= MAX_PER_UNIT:
        raise refusals.TooMany(f"Unit ini sudah punya {MAX_PER_UNIT} jawaban siap pakai; hapus "
                               "yang tidak dipakai / too many canned replies")
    reply = CannedReply(id=uuid.uuid4().hex, tenant=tenant, title=draft.title, body=draft.body,
                        updated_by=who, updated_at=utc_text(now))
    store.execute([Write(f"INSERT INTO {store.prefix}_canned_replies VALUES (?, ?, ?, ?, ?, ?)",
                         (reply.id, tenant, reply.title, reply.body, who, reply.updated_at))])
    return reply


def edit(store: ServiceStore, tenant: str, reply_id: str, draft: CannedDraft, who: str,
         now: datetime) -> CannedReply:
    changed = store.execute_returning(
        f"UPDATE {store.prefix}_canned_replies SET title = ?, body = ?, updated_by = ?,"
        " updated_at = ? WHERE tenant = ? AND id = ? RETURNING id",
        (draft.title, draft.body, who, utc_text(now), tenant, reply_id))
    if not changed:
        raise CannedNotFound(reply_id)
    return CannedReply(id=reply_id, tenant=tenant, title=draft.title, body=draft.body,
                       updated_by=who, updated_at=utc_text(now))


def delete(store: ServiceStore, tenant: str, reply_id: str) -> None:
    gone = store.execute_returning(f"DELETE FROM {store.prefix}_canned_replies"
                                   " WHERE tenant = ? AND id = ? RETURNING id", (tenant, reply_id))
    if not gone:
        raise CannedNotFound(reply_id)
