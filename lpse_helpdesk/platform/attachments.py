"""Attachments in the JetStream object store `ATTACHMENTS`, referenced from events by id and
sha256. The bytes live once, in the bus's store; events stay small."""

from __future__ import annotations

import hashlib
import uuid

from nats.js.errors import APIError, BucketNotFoundError, NotFoundError, ObjectNotFoundError

from .. import refusals
from ..schemas.events import AttachmentRef
from .natsclient import BusDown, jetstream

BUCKET = "ATTACHMENTS"


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


class StoreFull(RuntimeError):
    """The object store reached its cap (`Settings.attachments_max_bytes`)."""


def check(standard, filename: str, content_type: str, size: int) -> None:
    limits = standard.attachments
    if content_type not in limits.types:
        raise TypeRejected(
            f"lampiran `{filename}` bertipe {content_type} tidak diterima {standard.name} "
            f"(yang diterima: {', '.join(limits.types)})")
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
        try:
            await (await self._store()).put(ref.id, data)
        except APIError as exc:
            if "maximum bytes exceeded" in (exc.description or ""):
                raise StoreFull(exc.description) from None
            raise
        return ref

    async def delete(self, attachment_id: str) -> None:
        try:
            await (await self._store()).delete(attachment_id)
        except (ObjectNotFoundError, NotFoundError):
            pass  # gone already

    async def get(self, ref: AttachmentRef) -> bytes:
        try:
            result = await (await self._store()).get(ref.id)
        except (ObjectNotFoundError, NotFoundError):
            raise AttachmentMissing(ref.id) from None
        data = result.data or b""
        if hashlib.sha256(data).hexdigest() != ref.sha256:  # never serve a different file
            raise AttachmentMissing(f"{ref.id}: checksum tidak cocok")
        return data
