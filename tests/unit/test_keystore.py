"""The key store: keys per ticket, the person index by HMAC, forgetting for good, the cache's
bound; the SQLite file keeps no byte of a forgotten key, in its pages or its WAL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from lpse_helpdesk.platform.keystore import KeyStore, open_keystore
from lpse_helpdesk.settings import Settings

T1, T2 = uuid.uuid4(), uuid.uuid4()


def _checks(store: KeyStore) -> None:
    assert store.key_for("batubara", T1) is None
    key = store.key_for("batubara", T1, create=True)
    assert len(key) == 32 and store.key_for("batubara", T1) == key
    assert store.key_for("lampung", T1, create=True) != key  # per unit and ticket
    store.link("batubara", "Budi@Example.ID ", T1)
    store.link("batubara", "budi@example.id", T2)
    store.link("batubara", "", T2)  # no address, nobody linked
    assert sorted(store.tickets_of("batubara", "BUDI@example.id")) == sorted([T1, T2])
    assert store.tickets_of("lampung", "budi@example.id") == []
    store.key_for("batubara", T2, create=True)
    assert store.forget("batubara", [T1]) == 1
    assert store.key_for("batubara", T1) is None
    assert store.key_for("batubara", T1, create=True) is None  # never a new key after erase
    assert store.is_forgotten("batubara", T1) and not store.is_forgotten("batubara", T2)
    assert store.tickets_of("batubara", "budi@example.id") == [T2]
    t3 = uuid.uuid4()  # a received ticket: key and index row written together
    key = store.key_of_reporter("batubara", t3, "Sari@Example.ID")
    assert key == store.key_for("batubara", t3) and store.tickets_of("batubara", "sari@example.id") == [t3]
    store.forget("batubara", [t3])
    assert store.key_of_reporter("batubara", t3, "sari@example.id") is None


def test_in_memory() -> None:
    _checks(KeyStore.in_memory())


def test_sqlite_file_keeps_no_forgotten_key(tmp_path: Path) -> None:
    store = open_keystore(Settings(data_dir=tmp_path), env={})
    _checks(store)
    upload = uuid.uuid4().hex
    part_key = store.upload_key(upload, create=True)
    store.add_parts("batubara", T2, [upload])
    t2_key = store.key_for("batubara", T2)
    other = open_keystore(Settings(data_dir=tmp_path), env={})  # another process's view
    assert other.key_for("batubara", T2) == t2_key
    assert other.tickets_of("batubara", "budi@example.id") == [T2]
    store.forget("batubara", [T2])
    assert store.upload_key(upload) is None and other.upload_key(upload) is None
    other.close()
    store.close()
    for path in tmp_path.glob("keys.sqlite*"):
        data = path.read_bytes()
        assert t2_key not in data and part_key not in data, path
    assert b"budi" not in (tmp_path / "keys.sqlite").read_bytes()


def test_cache_bounds_other_processes(tmp_path: Path) -> None:
    now = [0.0]
    one = open_keystore(Settings(data_dir=tmp_path), env={})
    two = KeyStore(one.backend.__class__(tmp_path / "keys.sqlite"), b"x" * 32, ttl=30,
                   clock=lambda: now[0])
    key = one.key_for("batubara", T1, create=True)
    assert two.key_for("batubara", T1) == key
    one.forget("batubara", [T1])
    assert two.key_for("batubara", T1) == key  # cached: still readable within the TTL
    now[0] = 31.0
    assert two.key_for("batubara", T1) is None
    one.close()
    two.close()


def test_secret_short_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="HELPDESK_PERSONAL_SECRET"):
        open_keystore(Settings(data_dir=tmp_path), env={"HELPDESK_PERSONAL_SECRET": "short"})
