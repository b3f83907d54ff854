"""intake's plaintext copies of an erased ticket's personal data, scrubbed when the erasure
event arrives (its only consumer): the guest-book row of a walk-in (name, organisation,
purpose), the uploads the ticket used (their names), its idempotency record, the mails held
for staff that name it (and, a moment later, their files and the files' keys), and its dead
letters."""

from __future__ import annotations

import asyncio
import json
import logging

from ...platform import privacy_wipe
from ...platform.attachments import AttachmentStore
from ...platform.consumer import Decision
from ...platform.store import ServiceStore, Write
from ...schemas import AnyTicketEvent
from ...schemas.privacy_events import ERASED, PersonalDataErased

log = logging.getLogger("lpse_helpdesk.intake.privacy")
WATCHED = (PersonalDataErased,)
FILES_S = 5.0  # how often the files of erased held mails are looked for
TABLES = (
    # Files of held mails about an erased ticket, to delete from the object store (a consumer
    # does not wait for NATS: `delete_files` does, a moment later, until it succeeds).
    "CREATE TABLE IF NOT EXISTS {p}_erased_files (attachment_id TEXT PRIMARY KEY)",
)


def scrubber(store: ServiceStore):
    """The handler of intake's consumer of erasure events."""

    def on_erased(event: AnyTicketEvent, stream_seq: int) -> Decision:
        if not isinstance(event, PersonalDataErased):
            return Decision()
        return Decision(writes=scrub(store, event))

    return on_erased


def scrub(store: ServiceStore, event: PersonalDataErased) -> list[Write]:
    p, ticket = store.prefix, str(event.ticket_id)
    numbers = [row[0] for row in store.query(
        f"SELECT number FROM {p}_ticket_numbers WHERE ticket_id = ?", (ticket,))]
    writes = [
        Write(f"UPDATE {p}_guest_book SET name = ?, organization = ?, purpose = ?"
              " WHERE ticket_id = ?", (ERASED, ERASED, ERASED, ticket)),
        Write(f"DELETE FROM {p}_uploads WHERE id IN"
              f" (SELECT id FROM {p}_upload_uses WHERE ticket_id = ?)", (ticket,)),
        Write(f"DELETE FROM {p}_idempotency WHERE ticket_id = ?", (ticket,)),
        privacy_wipe.dead_letters(store, event.ticket_id),
    ]
    for n in numbers:
        for (body,) in store.query(f"SELECT body FROM {p}_held_mail WHERE number = ?", (n,)):
            writes += [Write(f"INSERT INTO {p}_erased_files VALUES (?) ON CONFLICT DO NOTHING",
                             (ref["id"],)) for ref in json.loads(body).get("attachments", [])]
        writes.append(Write(f"DELETE FROM {p}_held_mail WHERE number = ?", (n,)))
    privacy_wipe.wipe_soon(store)
    return writes


async def delete_files(app, stop: asyncio.Event) -> None:
    """Intake's task: delete the files listed in `_erased_files` and forget their keys."""
    from ...schemas import sealing

    attachments = AttachmentStore(app.broker)
    while not stop.is_set():
        try:
            pending = await asyncio.to_thread(app.store.query, f"SELECT attachment_id FROM"
                                              f" {app.store.prefix}_erased_files LIMIT 500")
            for (attachment_id,) in pending:
                await attachments.delete(attachment_id)
                forget = getattr(sealing.keystore(), "forget_upload", None)
                if forget is not None:
                    await asyncio.to_thread(forget, attachment_id)
                await asyncio.to_thread(app.store.execute, [Write(
                    f"DELETE FROM {app.store.prefix}_erased_files WHERE attachment_id = ?",
                    (attachment_id,))])
        except Exception as exc:  # noqa: BLE001 - NATS away: the next round tries again
            log.warning("berkas surat tertahan belum terhapus: %r", exc)
        try:
            await asyncio.wait_for(stop.wait(), FILES_S)
        except TimeoutError:
            pass
