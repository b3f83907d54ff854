"""Revoked staff tokens, known to every process within milliseconds.

Staff tokens are verified with the shared key alone (`auth.py`), so without more a token stays
good until it expires (8 hours) whatever happens to its account, and in a split deployment each
service runs in its own process with its own store: none can ask the desk's users table. So
the desk (and the `users` commands) write "tokens of this user issued before T are void" into
the JetStream key-value bucket STAFF_REVOCATIONS; every runtime watches the bucket and keeps
the times in memory (`Revocations`), where `TokenSigner.verify` reads them.

Times are unix seconds with milliseconds (floats) in Python, and whole milliseconds in the
bucket. A key is the username in hex: KV keys allow only a few characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError

BUCKET = "STAFF_REVOCATIONS"
# A fresh watch reads every key again: one restarted this often replaces a watch that a NATS
# restart or a lost consumer left silent, without waiting for anything to notice.
REWATCH_S = 30.0

log = logging.getLogger("lpse_helpdesk.revocations")


def key_of(username: str) -> str:
    return "u" + username.encode().hex()


def username_of(key: str) -> str:
    return bytes.fromhex(key[1:]).decode()


def millis(moment: float) -> int:
    return round(moment * 1000)


class Revocations:
    """username -> the moment before which that user's tokens are void. Only ever raised:
    an older time arriving late (a watch replaying) cannot shorten a revocation."""

    def __init__(self) -> None:
        self._since: dict[str, float] = {}
        self.loaded = asyncio.Event()  # set once the bucket has been read whole

    def revoke(self, username: str, since: float) -> None:
        if since > self._since.get(username, 0.0):
            self._since[username] = since

    def voids(self, username: str, issued_at: float) -> bool:
        return issued_at < self._since.get(username, 0.0)


async def ensure_bucket(js, replicas: int = 1):
    try:
        return await js.key_value(BUCKET)
    except BucketNotFoundError:
        return await js.create_key_value(KeyValueConfig(
            bucket=BUCKET, history=1, storage=StorageType.FILE, replicas=replicas))


async def publish(js, username: str, since: float, replicas: int = 1) -> None:
    """Raise the bucket's time for `username` to `since`, never lower it: a compare-and-set on
    the key's revision, so two writers (the desk's route and its relay, or the CLI) racing with
    different times leave the later one."""
    kv = await ensure_bucket(js, replicas)
    key, value = key_of(username), str(millis(since)).encode()
    for _attempt in range(20):
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:
            try:
                await kv.create(key, value)
                return
            except KeyWrongLastSequenceError:
                continue
        if entry.value and int(entry.value) >= millis(since):
            return
        try:
            await kv.update(key, value, last=entry.revision)
            return
        except KeyWrongLastSequenceError:
            continue
    raise RuntimeError(f"pencabutan token `{username}` kalah balapan 20 kali")


def _note(revocations: Revocations, key: str, value: bytes) -> None:
    try:
        revocations.revoke(username_of(key), int(value) / 1000)
    except ValueError:  # not written by us: one odd key must not stop the watch
        log.warning("kunci pencabutan tidak dikenal di %s: %s", BUCKET, key)


async def follow(connection, revocations: Revocations, stop: asyncio.Event) -> None:
    """Keep `revocations` up to date with the bucket while the runtime runs: a watch brings
    each change as it is written; it is restarted every REWATCH_S and after any error."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        watcher = None
        try:
            kv = await connection.jetstream().key_value(BUCKET)
            watcher = await kv.watchall()
            until = loop.time() + REWATCH_S
            while not stop.is_set() and loop.time() < until:
                try:
                    entry = await watcher.updates(timeout=min(1.0, until - loop.time()))
                except nats.errors.TimeoutError:
                    continue
                if entry is None:  # the marker after the bucket's current keys
                    revocations.loaded.set()
                elif entry.value and entry.operation is None:
                    _note(revocations, entry.key, entry.value)
        except Exception as exc:  # noqa: BLE001 - NATS away or the bucket not made yet: retry
            log.warning("pencabutan token tidak terbaca dari NATS (%r); coba lagi", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            if watcher is not None:
                with contextlib.suppress(Exception):
                    await watcher.stop()
