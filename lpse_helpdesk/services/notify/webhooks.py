"""Webhooks for downstream systems: the event's JSON (exactly as in schemas/) POSTed to each
subscription of its unit, signed, retried with backoff, kept as dead after the limit.

Headers: `X-Helpdesk-Event` (the tag), `X-Helpdesk-Delivery` (stable per event and URL: a
receiver can drop a repeat), `X-Helpdesk-Signature: sha256=<hex HMAC-SHA256 of the body>`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from dataclasses import dataclass

import httpx

from ...platform.store import ServiceStore, Write, utc_text
from ...schemas import AnyTicketEvent, decode_event, encode_event
from ...schemas.codec import encode_plain

NAMESPACE = uuid.UUID("0b8f3c3e-5b0e-4a53-8f7e-3f4b9c2d1a77")
MAX_ATTEMPTS = 8

TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}_webhooks ("
    " id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, tenant TEXT NOT NULL, url TEXT NOT NULL,"
    " event_type TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, last_error TEXT,"
    " delivered_at TEXT)",
    "CREATE INDEX IF NOT EXISTS {n}_webhooks_due ON {p}_webhooks (status, next_attempt_at)",
)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliveries(store: ServiceStore, event: AnyTicketEvent, standard, now_text: str) -> list[Write]:
    """Rows for every subscription of the unit that wants this event."""
    rows, body = [], None
    for hook in standard.webhooks:
        if hook.events and event.tag not in hook.events:
            continue
        if body is None:  # encoded only for a unit with a subscription: most have none
            body = encode_event(event).decode()
        delivery = uuid.uuid5(NAMESPACE, f"{event.event_id}:{hook.url}")
        rows.append(Write(
            f"INSERT INTO {store.prefix}_webhooks VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?,"
            " NULL, NULL) ON CONFLICT DO NOTHING",
            (str(delivery), str(event.ticket_id), event.tenant, hook.url, event.tag, body, now_text),
        ))
    return rows


@dataclass(frozen=True)
class Delivery:
    id: str
    ticket_id: str
    tenant: str
    url: str
    event_type: str
    body: str
    status: str
    attempts: int
    last_error: str | None


def due(store: ServiceStore, now_text: str) -> list[Delivery]:
    return [Delivery(*row) for row in store.query(
        f"SELECT id, ticket_id, tenant, url, event_type, body, status, attempts, last_error"
        f" FROM {store.prefix}_webhooks WHERE status = 'pending' AND next_attempt_at <= ?"
        " ORDER BY next_attempt_at LIMIT 50", (now_text,))]


def listing(store: ServiceStore, status: str | None = None) -> list[Delivery]:
    sql = (f"SELECT id, ticket_id, tenant, url, event_type, body, status, attempts, last_error"
           f" FROM {store.prefix}_webhooks")
    return [Delivery(*row) for row in store.query(
        sql + (" WHERE status = ?" if status else "") + " ORDER BY next_attempt_at",
        (status,) if status else ())]


def replay(store: ServiceStore, delivery_id: str, now_text: str) -> None:
    """A dead delivery tries again from its first attempt (after the receiver is fixed)."""
    store.execute([Write(f"UPDATE {store.prefix}_webhooks SET status = 'pending', attempts = 0,"
                         " next_attempt_at = ? WHERE id = ? AND status = 'dead'",
                         (now_text, delivery_id))])


async def post(client: httpx.AsyncClient, delivery: Delivery, secret: str) -> None:
    """Raises on anything but a 2xx answer."""
    # Kept sealed in the table; the receiver has no keys, so it gets the values in clear.
    body = encode_plain(decode_event(delivery.body.encode()))
    response = await client.post(delivery.url, content=body, headers={
        "Content-Type": "application/json", "X-Helpdesk-Event": delivery.event_type,
        "X-Helpdesk-Delivery": delivery.id, "X-Helpdesk-Signature": signature(secret, body),
    })
    if not 200 <= response.status_code < 300:
        raise httpx.HTTPStatusError(f"HTTP {response.status_code}", request=response.request,
                                    response=response)


async def post_due(self) -> int:
    """POST the due deliveries of `self` (the NotifyService); each outcome on the timeline."""
    waiting = await asyncio.to_thread(due, self.store, utc_text(self.now()))
    if not waiting:
        return 0
    delivered = 0
    async with httpx.AsyncClient(timeout=10) as client:
        for delivery in waiting:
            secret = next((h.secret for h in self.standards[delivery.tenant].webhooks
                           if h.url == delivery.url), None)
            attempt = delivery.attempts + 1
            try:
                if secret is None:
                    raise LookupError("langganan webhook sudah dihapus dari standar unit")
                await post(client, delivery, secret)
            except (httpx.HTTPError, OSError, LookupError) as exc:
                will_retry = attempt < self.webhook_attempts and secret is not None
                await asyncio.to_thread(
                    self._record_outcome, delivery.id, delivery.ticket_id, delivery.tenant,
                    delivery.event_type, delivery.url, attempt, str(exc) or type(exc).__name__,
                    "pending" if will_retry else "dead", self._backoff(attempt), "webhook")
                continue
            await asyncio.to_thread(
                self._record_outcome, delivery.id, delivery.ticket_id, delivery.tenant,
                delivery.event_type, delivery.url, attempt, None, "sent", None, "webhook")
            delivered += 1
    return delivered
