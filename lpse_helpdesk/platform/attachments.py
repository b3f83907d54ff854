"""Attachments in the JetStream object store `ATTACHMENTS`, referenced from events by id and
sha256. The bytes live once, in the bus's store; events stay small.

A file is stored encrypted (AES-256-GCM, `SEALED` + nonce + ciphertext, the attachment id as
associated data) under a key of its own in the key store (`keystore.upload_key`): a file is
uploaded before the ticket that names it exists, so it cannot use the ticket's key. When an
event naming the file is sealed, the file's key is recorded as a part of the ticket
(`sealing.seal` -> `add_parts`) and is deleted with the ticket's key; an upload no ticket
names loses its key with its file when it expires. `sha256` is the plain file's, checked after
decrypting. Files stored before encryption (no `SEALED` header) are served as they are.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nats.js.errors import (
    APIError,
    BucketNotFoundError,
    NotFoundError,
    ObjectNotFoundError,
)

from .. import refusals
from ..schemas import sealing
from ..schemas.events import AttachmentRef
from ..standards.filetypes import label, labels
from .natsclient import BusDown, jetstream

BUCKET = "ATTACHMENTS"
SEALED = b"lpse.sealed.v1\0"


class AttachmentRejected(ValueError):
    """Type or size the unit does not accept; the message says which and what is allowed."""


class TypeRejected(refusals.UnsupportedType, AttachmentRejected):
    def __init__(self, message: str):
        super().__init__(message, field="Content-Type")


class SizeRejected(refusals.TooLarge, AttachmentRejected):
    def __init__(self, message: str):
        super().__init__(message, field="Content-Type")


class AttachmentMissing(LookupError):
    pass


def seal_file(key: bytes, attachment_id: str, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return SEALED + nonce + AESGCM(key).encrypt(nonce, data, attachment_id.encode())


def open_file(key: bytes | None, attachment_id: str, stored: bytes) -> bytes:
    """The plain file of the stored bytes; AttachmentMissing when its key is gone (erased)
    or the bytes do not open with it."""
    if not stored.startswith(SEALED):
        return stored  # stored before files were encrypted
    if key is None:
        raise AttachmentMissing(f"{attachment_id}: data dihapus / erased")
    body = stored[len(SEALED):]
    try:
        return AESGCM(key).decrypt(body[:12], body[12:], attachment_id.encode())
    except InvalidTag:
        raise AttachmentMissing(f"{attachment_id}: segel tidak cocok / does not open") from None


class StoreFull(RuntimeError):
    """The object store reached its cap (`Settings.attachments_max_bytes`)."""


def check(standard, filename: str, content_type: str, size: int) -> None:
    limits = standard.attachments
    if content_type not in limits.types:
        raise TypeRejected(
            f"lampiran “{filename}” bertipe {label(content_type)} tidak diterima "
            f"{standard.name}; tipe yang diterima: {labels(limits.types)}")
    if size > limits.max_bytes:
        raise SizeRejected(
            f"lampiran `{filename}` {size} byte melebihi batas {limits.max_bytes} byte")


def check_count(standard, count: int) -> None:
    if count > standard.attachments.max_count:
        raise SizeRejected(
            f"{count} lampiran melebihi batas {standard.attachments.max_count} lampiran per "
            f"laporan {standard.name}")


class AttachmentStore:
    def __init__(self, broker):
        self.broker = broker
        self._bucket = None

    async def _store(self):
        if self._bucket is None:
            try:  # created, with the configured replicas, by `bus.ensure_buckets` on connect
                self._bucket = await jetstream(self.broker).object_store(BUCKET)
            except (BucketNotFoundError, NotFoundError) as exc:
                raise BusDown(f"object store {BUCKET} belum ada; NATS belum siap") from exc
        return self._bucket

    async def put(self, data: bytes, filename: str, content_type: str) -> AttachmentRef:
        ref = AttachmentRef(
            id=uuid.uuid4().hex, filename=filename[:200] or "lampiran", content_type=content_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        )
        keys = sealing.keystore()
        key = await asyncio.to_thread(keys.upload_key, ref.id, True)
        try:
            await (await self._store()).put(ref.id, seal_file(key, ref.id, data))
        except APIError as exc:
            if "maximum bytes exceeded" in (exc.description or ""):
                raise StoreFull(exc.description) from None
            raise
        return ref

    async def delete(self, attachment_id: str) -> None:
        """The file and its key."""
        try:
            await (await self._store()).delete(attachment_id)
        except (ObjectNotFoundError, NotFoundError):
            pass  # gone already
        await asyncio.to_thread(sealing.keystore().forget_upload, attachment_id)

    async def get(self, ref: AttachmentRef) -> bytes:
        try:
            result = await (await self._store()).get(ref.id)
        except (ObjectNotFoundError, NotFoundError):
            raise AttachmentMissing(ref.id) from None
        stored = result.data or b""
        key = None
        if stored.startswith(SEALED):
            key = await asyncio.to_thread(sealing.keystore().upload_key, ref.id)
        data = open_file(key, ref.id, stored)
        if hashlib.sha256(data).hexdigest() != ref.sha256:  # never serve a different file
            raise AttachmentMissing(f"{ref.id}: checksum tidak cocok")
        return data
