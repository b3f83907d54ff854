"""An FAQ draft's text is sealed with its source ticket's key: once the ticket is erased, a
draft nobody reviewed reads "[data dihapus]" also when the FAQ is rebuilt from its events, and
a published entry keeps the text its reviewer published (carried by `faq.published`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from conftest import make_settings

from lpse_helpdesk.platform.keystore import KeyStore
from lpse_helpdesk.platform.store import ServiceStore, Write
from lpse_helpdesk.schemas import decode_event, encode_event, faq, sealing
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.faq_publisher import decisions, views
from lpse_helpdesk.services.faq_publisher.http import Review

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ERASED = "[data dihapus]"


class Reviewer:
    username, role = "koor.btm", "koordinator"

    def may_act_in(self, tenant: str) -> bool:
        return tenant == "batam"


@pytest.fixture
def keys():
    store, before = KeyStore.in_memory(), sealing._keystore
    sealing.pin_keystore(store)
    yield store
    sealing.pin_keystore(before)


def drafted(ticket_id: uuid.UUID, word: str) -> faq.FaqDrafted:
    return faq.FaqDrafted(event_id=uuid.uuid4(), entry_id=uuid.uuid4(), tenant="batam",
                          occurred_at=AT, source_ticket_id=ticket_id,
                          question=f"Gagal unggah {word}", answer=f"Unggah ulang {word}")


def entries(store: ServiceStore) -> dict[str, tuple[str, str, str]]:
    return {e: (s, q, a) for e, s, q, a in store.query(
        f"SELECT entry_id, status, question, answer FROM {store.prefix}_entries")}


def test_erased_ticket_forgets_its_draft_and_keeps_the_published_entry(tmp_path, keys):
    ticket = uuid.uuid4()
    keys.key_for("batam", ticket, create=True)
    published, unreviewed = drafted(ticket, "Publikasiqz"), drafted(ticket, "Rahasiaqz")
    wire = [encode_event(published), encode_event(unreviewed)]
    # The stream and the store hold them sealed. Whole words: a short one like "qz" turns up
    # by chance in the sealed part's base64 (a few runs in a hundred).
    assert all(word not in data for data in wire for word in (b"Publikasiqz", b"Rahasiaqz"))
    publish = decisions.review("publish", published.entry_id, [decode_event(wire[0])],
                               Review(), Reviewer(), None, None, uuid.uuid4(), AT)
    assert publish.question == published.question  # the reviewed text, in clear
    wire.append(encode_event(publish))

    store = ServiceStore("faq_publisher", make_settings(tmp_path, "nats://127.0.0.1:1"),
                         definition("faq_publisher").tables)
    views.create_search(store)  # as the service makes it
    try:
        def rebuild():
            store.execute([Write(f"DELETE FROM {store.prefix}_entries")])
            for data in wire:
                store.execute(views.project(store, decode_event(data)).writes)
            return entries(store)

        before = rebuild()
        assert before[str(published.entry_id)][1] == published.question
        assert before[str(unreviewed.entry_id)][1] == unreviewed.question
        keys.forget("batam", [ticket])
        after = rebuild()
        assert after[str(published.entry_id)] == ("published", published.question,
                                                  published.answer)
        assert after[str(unreviewed.entry_id)] == ("draft", ERASED, ERASED)
    finally:
        store.close()
