"""The public FAQ: entries projected from FAQ events on the stream, and their search.

Search runs over normalised Indonesian tokens (`lpse_helpdesk.indonesian`), so "mengunggah"
finds "unggah" and "upload": SQLite FTS5 ranked by bm25 by default, PostgreSQL full-text
(`simple` configuration over the same tokens) ranked by ts_rank when configured. The
"was this helpful" counts are reader input, not events: they live beside the projection and
survive a rebuild of it.
"""

from __future__ import annotations

import json
import uuid

import msgspec

from ... import refusals
from ...indonesian import normalise
from ...platform import paging
from ...platform.consumer import Decision
from ...platform.store import ServiceStore, Write
from ...schemas import faq

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_entries ("
    " entry_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, status TEXT NOT NULL,"
    " question TEXT NOT NULL, answer TEXT NOT NULL, category TEXT, asked INTEGER NOT NULL,"
    " removed TEXT NOT NULL, similar_ids TEXT NOT NULL, terms TEXT NOT NULL, updated_at TEXT NOT NULL,"
    " merged_into TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}_helpful ("
    " entry_id TEXT PRIMARY KEY, yes INTEGER NOT NULL, no INTEGER NOT NULL)",
)
SQLITE_FTS = ("CREATE VIRTUAL TABLE IF NOT EXISTS {p}_search USING fts5("
              "entry_id UNINDEXED, tenant UNINDEXED, terms)")
POSTGRES_FTS = ("CREATE INDEX IF NOT EXISTS {n}_entries_terms ON {p}_entries"
                " USING GIN (to_tsvector('simple', terms))")


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    tenant: str
    status: str
    question: str
    answer: str
    category: str | None
    asked: int  # how many tickets asked this (merged near-duplicates included)
    helpful_yes: int = 0
    helpful_no: int = 0
    removed: dict[str, int] = {}
    similar: list[uuid.UUID] = []


def create_search(store: ServiceStore) -> None:
    ddl = POSTGRES_FTS if store.is_postgres else SQLITE_FTS
    store.execute([Write(ddl.format(p=store.prefix, n=store.service))])


def terms(question: str, answer: str) -> str:
    return " ".join(normalise(f"{question} {answer}"))


def project(store: ServiceStore, event: faq.FaqEvent) -> Decision:
    """Rows for one FAQ event. Every statement is idempotent: the deciding action writes them
    in its own transaction (so a retraction leaves search at once), and the projection of the
    stream writes them again (which is how the read model is rebuilt)."""
    p, entry = store.prefix, str(event.entry_id)
    writes: list[Write] = []
    if isinstance(event, faq.FaqDrafted):
        writes.append(Write(
            f"INSERT INTO {p}_entries VALUES (?, ?, 'draft', ?, ?, ?, 1, ?, ?, ?, ?, NULL)"
            " ON CONFLICT DO NOTHING",
            (entry, event.tenant, event.question, event.answer, event.category,
             json.dumps(event.removed), json.dumps([str(s) for s in event.similar]),
             terms(event.question, event.answer), event.occurred_at.isoformat())))
    elif isinstance(event, faq.FaqEdited):
        writes.append(Write(f"UPDATE {p}_entries SET question = ?, answer = ?, terms = ?,"
                            " updated_at = ? WHERE entry_id = ?",
                            (event.question, event.answer, terms(event.question, event.answer),
                             event.occurred_at.isoformat(), entry)))
    elif isinstance(event, faq.FaqPublished) and event.question:
        writes.append(Write(f"UPDATE {p}_entries SET status = 'published', question = ?,"
                            " answer = ?, terms = ?, updated_at = ? WHERE entry_id = ?",
                            (event.question, event.answer, terms(event.question, event.answer),
                             event.occurred_at.isoformat(), entry)))
    elif isinstance(event, faq.FaqMerged):
        writes.append(Write(f"UPDATE {p}_entries SET status = 'merged', merged_into = ?"
                            " WHERE entry_id = ?", (str(event.into), entry)))
        writes.append(Write(f"UPDATE {p}_entries SET asked = 1 + (SELECT COUNT(*) FROM {p}_entries m"
                            " WHERE m.merged_into = ?) WHERE entry_id = ?",
                            (str(event.into), str(event.into))))
    else:
        status = {faq.FaqPublished: "published", faq.FaqRejected: "rejected",
                  faq.FaqRetracted: "retracted"}[type(event)]
        writes.append(Write(f"UPDATE {p}_entries SET status = ?, updated_at = ? WHERE entry_id = ?",
                            (status, event.occurred_at.isoformat(), entry)))
    if not store.is_postgres:  # keep the FTS5 index to the published entries only
        writes.append(Write(f"DELETE FROM {p}_search WHERE entry_id = ?", (entry,)))
        writes.append(Write(f"INSERT INTO {p}_search SELECT entry_id, tenant, terms FROM {p}_entries"
                            " WHERE entry_id = ? AND status = 'published'", (entry,)))
    return Decision(writes=writes)


_COLUMNS = ("e.entry_id, e.tenant, e.status, e.question, e.answer, e.category, e.asked,"
            " COALESCE(h.yes, 0), COALESCE(h.no, 0), e.removed, e.similar_ids")


def _entry(row) -> Entry:
    (entry_id, tenant, status, question, answer, category, asked, yes, no, removed,
     similar) = row
    return Entry(id=uuid.UUID(entry_id), tenant=tenant, status=status, question=question,
                 answer=answer, category=category, asked=asked, helpful_yes=yes, helpful_no=no,
                 removed=json.loads(removed), similar=[uuid.UUID(s) for s in json.loads(similar)])


def entries(store: ServiceStore, tenant: str, status: str = "published") -> list[Entry]:
    p = store.prefix
    rows = store.query(f"SELECT {_COLUMNS} FROM {p}_entries e LEFT JOIN {p}_helpful h ON"
                       " h.entry_id = e.entry_id WHERE e.tenant = ? AND e.status = ?"
                       " ORDER BY e.asked DESC, e.updated_at DESC", (tenant, status))
    return [_entry(r) for r in rows]


def entries_page(store: ServiceStore, tenant: str, status: str, after: str | None,
                 limit: int) -> paging.Page[Entry]:
    """A page of the unit's entries read in SQL: most asked first, the id breaking ties (the
    key `(-asked, id)`, the cursor's)."""
    if after:
        asked, entry_id = paging.decode(after, 2)
        if not isinstance(asked, int) or not isinstance(entry_id, str):
            raise refusals.Invalid("Kursor `after` bukan untuk daftar ini / cursor of another "
                                   "list", field="after")
    condition, params, order = paging.keyset(("0 - e.asked", "e.entry_id"), after)
    p = store.prefix
    rows = store.query(f"SELECT {_COLUMNS} FROM {p}_entries e LEFT JOIN {p}_helpful h ON"
                       f" h.entry_id = e.entry_id WHERE e.tenant = ? AND e.status = ?"
                       f" AND {condition} ORDER BY {order} LIMIT ?",
                       (tenant, status, *params, limit + 1))
    return paging.page_from_rows([_entry(r) for r in rows], lambda e: (-e.asked, str(e.id)),
                                 limit)


def count(store: ServiceStore, tenant: str, status: str) -> int:
    (found,), = store.query(f"SELECT COUNT(*) FROM {store.prefix}_entries WHERE tenant = ?"
                            " AND status = ?", (tenant, status))
    return int(found)


def search(store: ServiceStore, tenant: str, query: str, limit: int = 20) -> list[Entry]:
    words = sorted(set(normalise(query)))
    if not words:
        return entries(store, tenant)[:limit]
    p = store.prefix
    if store.is_postgres:
        rows = store.query(
            f"SELECT {_COLUMNS} FROM {p}_entries e LEFT JOIN {p}_helpful h ON h.entry_id ="
            " e.entry_id WHERE e.tenant = ? AND e.status = 'published' AND"
            " to_tsvector('simple', e.terms) @@ to_tsquery('simple', ?) ORDER BY"
            " ts_rank(to_tsvector('simple', e.terms), to_tsquery('simple', ?)) DESC LIMIT ?",
            (tenant, " | ".join(words), " | ".join(words), limit))
    else:
        match = " OR ".join(f'"{w}"' for w in words)
        rows = store.query(
            f"SELECT {_COLUMNS} FROM {p}_search s JOIN {p}_entries e ON e.entry_id = s.entry_id"
            f" LEFT JOIN {p}_helpful h ON h.entry_id = e.entry_id WHERE {p}_search MATCH ?"
            " AND s.tenant = ? ORDER BY bm25(" + f"{p}_search" + ") LIMIT ?",
            (match, tenant, limit))
    return [_entry(r) for r in rows]


def rate(store: ServiceStore, entry_id: uuid.UUID, helpful: bool) -> bool:
    """Count a reader's vote on a published entry; False (nothing stored) for any other id,
    so the public route cannot grow the table with made-up ids."""
    if not store.query(f"SELECT 1 FROM {store.prefix}_entries WHERE entry_id = ?"
                       " AND status = 'published'", (str(entry_id),)):
        return False
    column = "yes" if helpful else "no"
    store.execute([Write(
        f"INSERT INTO {store.prefix}_helpful VALUES (?, ?, ?) ON CONFLICT (entry_id) DO UPDATE"
        f" SET {column} = {column} + 1",
        (str(entry_id), int(helpful), int(not helpful)))])
    return True


def similar_published(store: ServiceStore, tenant: str, question: str,
                      threshold: float = 0.4) -> list[uuid.UUID]:
    """Published entries whose question shares most of its words with this one (Jaccard)."""
    mine = set(normalise(question))
    scored = []
    for entry in entries(store, tenant):
        theirs = set(normalise(entry.question))
        if mine and theirs:
            score = len(mine & theirs) / len(mine | theirs)
            if score >= threshold:
                scored.append((score, entry.id))
    return [entry_id for _, entry_id in sorted(scored, reverse=True)[:3]]
