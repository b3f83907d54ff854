"""The secret that signs staff tokens and derives reporters' access tokens, and its rotation.

Anyone holding the secret can mint an admin token, so it must be long and never half-written:
a missing, empty or short secret stops the process with one clear line. The embedded default
keeps it in `<data-dir>/secret.key`, created complete or not at all (written to a temporary
file, then linked into place, so a second process starting at the same moment reads the
winner's key, never an empty file). `HELPDESK_SECRET` overrides it; processes on several
machines share that.

Every key has an id (the first 8 hex digits of its SHA-256). Staff tokens carry it, so after a
rotation the previous keys still verify their tokens, and still derive the reporters' mailed
links, for `GRACE_S`; after that they are gone. Rotating the file:
`lpse-helpdesk secret rotate`; with `HELPDESK_SECRET`, put the old value in
`HELPDESK_OLD_SECRETS` (comma-separated) for as long as old tokens should work.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .private import make_private

MIN_BYTES = 32
GRACE_S = 30 * 24 * 3600  # a month: reporters' mailed links outlive staff tokens (8 h)
SECRET_FILE, OLD_FILE = "secret.key", "secret.old.json"


class SecretError(ValueError):
    """The secret cannot be used; the message says which and how to mend it."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes


def key_of(secret: bytes) -> Key:
    return Key(hashlib.sha256(secret).hexdigest()[:8], secret)


def _checked(secret: bytes, where: str) -> bytes:
    if len(secret) < MIN_BYTES:
        raise SecretError(
            f"Rahasia {where} terlalu pendek ({len(secret)} byte, minimal {MIN_BYTES}); buat "
            f"dengan `openssl rand -hex 32` / the secret in {where} is too short")
    return secret


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` as a whole (0600), replacing what was there atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:  # mkstemp makes the file 0600
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _create_once(path: Path) -> None:
    """Create the key file with a new secret unless it exists; of two processes racing, the
    first link wins and the other reads that key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if the file exists: never replaces a key in use
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


def _retired(data_dir: Path, now: float) -> list[Key]:
    path = data_dir / OLD_FILE
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text())
        return [key_of(_checked(e["secret"].encode(), str(path))) for e in entries
                if e["retired_at"] + GRACE_S > now]
    except (ValueError, KeyError, TypeError) as exc:
        raise SecretError(f"{path} rusak ({exc}); perbaiki atau hapus / unreadable") from None


def load_keys(data_dir: Path, env: dict[str, str] | None = None,
              now: float | None = None) -> list[Key]:
    """The keys in use, the current one first."""
    env = dict(os.environ if env is None else env)
    now = time.time() if now is None else now
    if "HELPDESK_SECRET" in env:
        current = _checked(env["HELPDESK_SECRET"].encode(), "HELPDESK_SECRET")
        old = [_checked(s.strip().encode(), "HELPDESK_OLD_SECRETS")
               for s in env.get("HELPDESK_OLD_SECRETS", "").split(",") if s.strip()]
        return [key_of(current), *map(key_of, old)]
    make_private(Path(data_dir).resolve())
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        _create_once(path)
    current = _checked(path.read_text().strip().encode(), str(path))
    return [key_of(current), *_retired(Path(data_dir), now)]


def rotate(data_dir: Path, now: float | None = None) -> Key:
    """A new current key in the data folder; the previous one is kept for `GRACE_S`."""
    now = time.time() if now is None else now
    data_dir = Path(data_dir)
    previous = load_keys(data_dir, env={}, now=now)
    path = data_dir / OLD_FILE
    kept = json.loads(path.read_text()) if path.exists() else []
    kept = [e for e in kept if e["retired_at"] + GRACE_S > now]
    kept.append({"secret": previous[0].secret.decode(), "retired_at": now})
    write_private(path, json.dumps(kept))
    fresh = secrets.token_hex(32)
    write_private(data_dir / SECRET_FILE, fresh)
    return key_of(fresh.encode())
