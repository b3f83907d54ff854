"""The keys that make reporters' personal data forgettable (crypto-shredding, UU PDP Pasal 8).

Every ticket has a random 256-bit AES-GCM key; its events' personal fields are sealed with it
(`schemas/sealing.py`) and so are its attachments (`attachments.py`). Erasing a person deletes
the keys of all their tickets: the ciphertexts left in events, the stream and the object store
can no longer be read. To find a person's tickets without keeping their address in clear, the
store indexes (tenant, HMAC-SHA256(secret, normalised e-mail)) -> ticket ids.

The keys live in a store of their own (`keystore_backends.py`): `<data dir>/keys.sqlite`, or
tables `keystore_*` in PostgreSQL when the helpdesk runs on PostgreSQL. The HMAC secret is
`<data dir>/personal.key`, made on first use; processes on several machines share
`HELPDESK_PERSONAL_SECRET` (at least 32 bytes) instead.

Each process caches keys in memory (an LRU of `CACHE_SIZE` keys, each for `CACHE_TTL_S`), so
decoding an event costs no database round trip. `forget` drops the keys from this process's
cache at once; another process may still decrypt with a cached key for up to `CACHE_TTL_S`
seconds after an erase: that is the bound.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path

from .keys import MIN_BYTES, SecretError, _create_once
from .keystore_backends import Backend, MemoryBackend, SQLiteBackend
from .private import make_private

CACHE_TTL_S = 30.0
CACHE_SIZE = 20_000
KEY_BYTES = 32
KEYS_FILE, SECRET_FILE = "keys.sqlite", "personal.key"
UPLOADS = "*"  # the tenant under which attachment keys are kept (no unit has this name)


def normalised(email: str) -> str:
    """The form in which an address is indexed: `Budi@Example.ID ` and `budi@example.id` are
    one person."""
    return email.strip().lower()


class KeyStore:
    """Ticket keys and the person index, over one backend, with a per-process cache."""

    def __init__(self, backend: Backend, secret: bytes, *, ttl: float = CACHE_TTL_S,
                 size: int = CACHE_SIZE, clock=time.monotonic):
        if len(secret) < MIN_BYTES:
            raise SecretError(f"rahasia data pribadi minimal {MIN_BYTES} byte / secret too short")
        self.backend, self._secret = backend, secret
        self.ttl, self.size, self._clock = ttl, size, clock
        # By (tenant, ticket id as given: a UUID, or an attachment's hex id): no text made
        # from a UUID on the hot path.
        self._cache: OrderedDict[tuple[str, object], tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()
        # Links and parts recorded lately: an event is encoded again (desk's history), and
        # each time would otherwise be a write.
        self._recorded: OrderedDict[tuple, None] = OrderedDict()

    def _once(self, row: tuple) -> bool:
        """True the first time (lately) `row` is seen."""
        with self._lock:
            if row in self._recorded:
                return False
            self._recorded[row] = None
            if len(self._recorded) > self.size:
                self._recorded.popitem(last=False)
            return True

    @classmethod
    def in_memory(cls, **kwargs) -> KeyStore:
        """A store that lives in this process only (unit tests, tools without a data folder)."""
        return cls(MemoryBackend(), secrets.token_bytes(32), **kwargs)

    def person(self, email: str) -> str:
        """The index value of an address: HMAC-SHA256 under the store's secret, hex."""
        return hmac.new(self._secret, normalised(email).encode(), hashlib.sha256).hexdigest()

    # --- the cache ---------------------------------------------------------------------------

    def _cached(self, row: tuple[str, object]) -> bytes | None:
        with self._lock:
            found = self._cache.get(row)
            if found is None:
                return None
            if found[1] < self._clock():
                del self._cache[row]
                return None
            self._cache.move_to_end(row)
            return found[0]

    def _remember(self, row: tuple[str, object], key: bytes) -> None:
        with self._lock:
            self._cache[row] = (key, self._clock() + self.ttl)
            self._cache.move_to_end(row)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def _drop(self, rows: list[tuple[str, object]]) -> None:
        with self._lock:
            for row in rows:
                self._cache.pop(row, None)

    def _key(self, row: tuple[str, object], create: bool) -> bytes | None:
        key = self._cached(row)
        if key is not None:
            return key
        tenant, name = row[0], str(row[1])
        key = self.backend.get(tenant, name)
        if key is None and create:
            key = self.backend.create(tenant, name, secrets.token_bytes(KEY_BYTES))
        if key is not None:
            self._remember(row, key)
        return key

    # --- the interface -----------------------------------------------------------------------

    def key_for(self, tenant: str, ticket_id: uuid.UUID, create: bool = False) -> bytes | None:
        """The ticket's 32-byte key; with `create`, a new one if it has none. None when it has
        none, and always when it was forgotten (a forgotten ticket never gets a key again, so
        nothing written after an erase can be read with a new one)."""
        return self._key((tenant, ticket_id), create)

    def key_of_reporter(self, tenant: str, ticket_id: uuid.UUID, email: str) -> bytes | None:
        """`key_for(create=True)`, and when that makes the ticket's key, `link` in the same
        transaction (one commit per received ticket). A ticket's key is made by its
        `ticket.received`, so a key that exists was linked then: encoding the event again (a
        consumer's history, a rebuild in a fresh process) writes nothing."""
        row = (tenant, ticket_id)
        key = self._cached(row)
        if key is None:
            key = self.backend.get(tenant, str(ticket_id))
            if key is None:
                person = self.person(email) if normalised(email) else None
                key = self.backend.create(tenant, str(ticket_id),
                                          secrets.token_bytes(KEY_BYTES), person)
            if key is not None:
                self._remember(row, key)
        return key

    def link(self, tenant: str, email: str, ticket_id: uuid.UUID) -> None:
        """Record that the ticket is the person's (with `email`): `tickets_of` finds it. An
        empty address links nothing."""
        if normalised(email) and self._once(("link", tenant, ticket_id, normalised(email))):
            self.backend.link(tenant, self.person(email), str(ticket_id))

    def tickets_of(self, tenant: str, email: str) -> list[uuid.UUID]:
        """The ids of the person's tickets in the unit, not yet forgotten."""
        if not normalised(email):
            return []
        return [uuid.UUID(t) for t in self.backend.tickets(tenant, self.person(email))]

    def forget(self, tenant: str, ticket_ids: list[uuid.UUID]) -> int:
        """Delete the tickets' keys, their attachments' keys and their index rows, securely
        (no copy left in the key store's file or its WAL), and drop them from this process's
        cache; returns how many ticket keys were deleted. Other processes' caches let them go
        within `CACHE_TTL_S`."""
        gone, parts = self.backend.forget(tenant, [str(t) for t in ticket_ids])
        self._drop([(tenant, t) for t in ticket_ids] + [(UPLOADS, part) for part in parts])
        return gone

    def is_forgotten(self, tenant: str, ticket_id: uuid.UUID) -> bool:
        """True once `forget` deleted the ticket's key."""
        return self.backend.forgotten(tenant, str(ticket_id))

    # --- attachments -------------------------------------------------------------------------

    def upload_key(self, attachment_id: str, create: bool = False) -> bytes | None:
        """An attachment's key: made when the file is stored, before any ticket names it."""
        return self._key((UPLOADS, attachment_id), create)

    def add_parts(self, tenant: str, ticket_id: uuid.UUID, attachment_ids: list[str]) -> None:
        """The ticket names these attachments: their keys are forgotten with the ticket's."""
        if attachment_ids and self._once(("parts", tenant, ticket_id, *attachment_ids)):
            self.backend.add_parts(tenant, str(ticket_id), list(attachment_ids))

    def forget_upload(self, attachment_id: str) -> None:
        """An unused upload expired: its key goes with its file."""
        self.backend.forget(UPLOADS, [attachment_id])
        self._drop([(UPLOADS, attachment_id)])

    def close(self) -> None:
        self.backend.close()


def _secret(data_dir: Path, env: dict[str, str]) -> bytes:
    if env.get("HELPDESK_PERSONAL_SECRET"):
        secret = env["HELPDESK_PERSONAL_SECRET"].encode()
        if len(secret) < MIN_BYTES:
            raise SecretError(f"HELPDESK_PERSONAL_SECRET terlalu pendek (minimal {MIN_BYTES} "
                              "byte) / too short")
        return secret
    path = data_dir / SECRET_FILE
    if not path.exists():
        _create_once(path)
    return path.read_text().strip().encode()


def open_keystore(settings, env: dict[str, str] | None = None) -> KeyStore:
    """The helpdesk's key store: PostgreSQL tables when `settings.database_url` is set, else
    `<data dir>/keys.sqlite`; the person index's secret from the data folder or
    `HELPDESK_PERSONAL_SECRET`."""
    env = dict(os.environ if env is None else env)
    data_dir = Path(settings.data_dir)
    make_private(data_dir.resolve())
    secret = _secret(data_dir, env)
    if settings.uses_postgres:
        from .keystore_postgres import PostgresBackend  # the optional extra

        return KeyStore(PostgresBackend(settings.database_url), secret)
    return KeyStore(SQLiteBackend(data_dir / KEYS_FILE), secret)
