"""A service that keeps no plaintext copy of a reporter's data still keeps dead letters: a
message its consumer could not handle, with the error. The payload is the wire form (personal
values sealed, so unreadable once the key is gone), but the error is free text a handler's
exception may have filled with a decoded value. Such a service consumes the erasure event too,
with this consumer of its own, and drops the ticket's dead letters (privacy_wipe.py)."""

from __future__ import annotations

from ..schemas import subject_filter
from ..schemas.privacy_events import PersonalDataErased
from . import privacy_wipe
from .consumer import Decision
from .service import ConsumerSpec
from .store import ServiceStore


def dead_letter_scrub(service: str, store: ServiceStore, inline: bool = False) -> ConsumerSpec:
    """The consumer `<service>-erasure`: the ticket's dead letters go with its erasure.
    `inline` as the service's other consumers (`ConsumerSpec.inline`): a service whose
    consumers all run on the loop keeps its relay's reads there too (runtime.py)."""
    def on_erased(event, stream_seq: int) -> Decision:
        if not isinstance(event, PersonalDataErased):
            return Decision()
        privacy_wipe.wipe_soon(store)
        return Decision(writes=[privacy_wipe.dead_letters(store, event.ticket_id)])

    return ConsumerSpec(f"{service}-erasure", tuple(subject_filter((PersonalDataErased,))),
                        on_erased, inline=inline)
