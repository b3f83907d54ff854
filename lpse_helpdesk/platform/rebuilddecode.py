"""Decoding the stream for a bulk rebuild (`rebuild.py`): `codec.decode_event`'s result and
errors, at less cost per event.

- Each ticket's key is asked from the key store once per ticket (and again after
  `keystore.CACHE_TTL_S`, the bound the key store's own cache keeps after an erase), not once
  per event through the store's locked LRU.
- The wire bytes are kept when encoding the decoded event gives them again, so the timeline row
  (`history.append_row`'s body) needs no second seal: a sealed event opened with its key was
  sealed by the helpdesk's codec, and sealing is deterministic (`sealing._nonce`). An event
  without a seal is encoded again as before (cheap: no key), so one stored before sealing existed
  is sealed in the timeline as the live projection seals it; an erased one too (placeholders).
"""

from __future__ import annotations

import time
from typing import Union

import msgspec

from ..schemas import AnyTicketEvent, InvalidEvent, sealing
from ..schemas.events import ALL_EVENTS
from ..schemas.faq import FAQ_EVENTS
from .keystore import CACHE_TTL_S

# The codec's decoder (`codec._decoder`): every event on the bus.
_decoder = msgspec.json.Decoder(Union[(*ALL_EVENTS, *FAQ_EVENTS)])  # type: ignore[valid-type]


class StreamDecoder:
    def __init__(self, ttl: float = CACHE_TTL_S, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self.keys: dict = {}  # (tenant, ticket id) -> key, or None once erased
        self.until = clock() + ttl
        self.asked = 0  # key store look-ups (tickets, and again after each ttl)
        self.last: bytes | None = None  # the key of the event being opened

    def key_for(self, tenant: str, ticket_id):
        if self.clock() > self.until:  # forget them all: an erase since is seen within ttl
            self.keys.clear()
            self.until = self.clock() + self.ttl
        row = (tenant, ticket_id)
        key = self.last = self.keys.get(row, False)
        if key is not False:
            return key
        self.asked += 1
        key = self.keys[row] = self.last = sealing.keystore().key_for(tenant, ticket_id)
        return key

    def decode(self, data: bytes) -> tuple[AnyTicketEvent, str | None]:
        """(the event, its wire bytes as text when they are its encoding, else None).
        Raises `InvalidEvent` as `decode_event` does."""
        if not isinstance(data, bytes):
            data = bytes(data)
        try:
            body, sealed = sealing.split(data)
            event = _decoder.decode(body)
            if sealed is None:
                return event, None
            opened = sealing.unseal(event, sealed, self.key_for)
            return opened, None if self.last is None else data.decode()
        except msgspec.ValidationError as exc:
            raise InvalidEvent(f"pesan event tidak valid / invalid event: {exc}") from None
        except msgspec.DecodeError as exc:
            raise InvalidEvent(f"pesan bukan JSON yang sah / malformed JSON: {exc}") from None
        except sealing.SealBroken as exc:
            raise InvalidEvent(f"pesan event tidak valid / invalid event: {exc}") from None
        except UnicodeDecodeError as exc:
            raise InvalidEvent(f"pesan bukan UTF-8 / not UTF-8: {exc}") from None
