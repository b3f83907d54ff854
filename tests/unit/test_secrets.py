"""The signing secret: refused when weak, created whole even by two processes at once, rotated
with a grace period; and a data folder that only the helpdesk can read."""

from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from lpse_helpdesk.platform import keys
from lpse_helpdesk.platform.auth import InvalidToken, TokenSigner
from lpse_helpdesk.platform.keys import SecretError, key_of, load_keys, rotate
from lpse_helpdesk.platform.private import make_private
from lpse_helpdesk.platform.store import ServiceStore
from lpse_helpdesk.settings import Settings


@pytest.mark.parametrize("value", ["", "x", "a" * 31])
def test_a_short_or_empty_secret_stops_the_start(tmp_path, value):
    with pytest.raises(SecretError, match="HELPDESK_SECRET terlalu pendek"):
        load_keys(tmp_path, env={"HELPDESK_SECRET": value})
    (tmp_path / keys.SECRET_FILE).write_text(value)
    with pytest.raises(SecretError, match="secret.key terlalu pendek"):
        load_keys(tmp_path, env={})


def test_two_processes_starting_together_read_the_same_whole_key(tmp_path):
    for round_ in range(100):
        folder, found, errors = tmp_path / f"run{round_}", [], []
        start = threading.Barrier(2)

        def open_it():
            start.wait()
            try:
                found.append(load_keys(folder, env={})[0])
            except Exception as exc:  # noqa: BLE001 - what the test looks for
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert found[0] == found[1] and len(found[0].secret) == 64
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp left


def test_a_token_signed_with_a_weak_or_unknown_key_is_refused(tmp_path):
    signer = TokenSigner(load_keys(tmp_path, env={}))
    forged = TokenSigner(key_of(b"x")).issue("penyusup", "admin", "*")
    with pytest.raises(InvalidToken):
        signer.verify(forged)
    # The same claims under the right key id but signed with another key.
    key_id = signer.keys[0].id
    _, body, signature = forged.split(".")
    with pytest.raises(InvalidToken):
        signer.verify(f"{key_id}.{body}.{signature}")
    with pytest.raises(InvalidToken):
        signer.verify(f"{key_id}.{body}.tökén")  # not ASCII: refused, no TypeError
    assert signer.verify(signer.issue("sri", "helpdesk", "tuban")).username == "sri"


def test_after_a_rotation_old_tokens_and_mail_links_work_for_the_grace_period(tmp_path):
    now = time.time()
    before = TokenSigner(load_keys(tmp_path, env={}, now=now))
    staff = before.issue("sri", "helpdesk", "tuban")
    ticket_id = "5f0c2b1e-0000-4000-8000-000000000001"
    link = before.reporter_token(ticket_id)
    stored = __import__("hashlib").sha256(link.encode()).hexdigest()

    rotate(tmp_path, now=now)
    after = TokenSigner(load_keys(tmp_path, env={}, now=now + 60))
    assert after.keys[0].id != before.keys[0].id
    assert after.verify(staff).username == "sri"  # the old key still verifies
    assert after.reporter_token(ticket_id, stored) == link  # the mailed link stays the same
    assert after.reporter_token(ticket_id) != link  # new tickets get the new key's
    assert after.verify(after.issue("sri", "helpdesk", "tuban")).username == "sri"

    expired = TokenSigner(load_keys(tmp_path, env={}, now=now + keys.GRACE_S + 1))
    with pytest.raises(InvalidToken):
        expired.verify(staff)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_old_secrets_from_the_environment_verify_during_a_rotation(tmp_path):
    old, new = "a" * 64, "b" * 64
    staff = TokenSigner(load_keys(tmp_path, env={"HELPDESK_SECRET": old})).issue("a", "admin", "*")
    env = {"HELPDESK_SECRET": new, "HELPDESK_OLD_SECRETS": old}
    assert TokenSigner(load_keys(tmp_path, env=env)).verify(staff).username == "a"
    with pytest.raises(InvalidToken):
        TokenSigner(load_keys(tmp_path, env={"HELPDESK_SECRET": new})).verify(staff)


def test_the_data_folder_and_its_files_are_private_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        folder.mkdir(mode=0o755)
        (folder / "lama.sqlite").write_text("x")
        os.chmod(folder / "lama.sqlite", 0o644)
        os.umask(0o022)
        store = ServiceStore("desk", Settings(data_dir=folder))
        store.close()
        load_keys(folder, env={})
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {"desk.sqlite", "secret.key", "lama.sqlite"}
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        os.umask(previous)
    make_private.cache_clear()


def test_the_rotate_command_makes_a_new_key_and_keeps_the_old(tmp_path, monkeypatch, capsys):
    from lpse_helpdesk.cli import main

    monkeypatch.delenv("HELPDESK_SECRET", raising=False)
    before = load_keys(tmp_path, env={})[0]
    assert main(["secret", "rotate", "--data-dir", str(tmp_path)]) == 0
    assert "Kunci baru" in capsys.readouterr().out
    after = load_keys(tmp_path, env={})
    assert after[0] != before and after[1] == before
