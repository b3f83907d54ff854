"""`personal-data seal-existing`: events an earlier version stored in clear are rewritten sealed
in place, decode to what they were, and a second run finds nothing left to do."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import make_settings

from lpse_helpdesk import bootstrap
from lpse_helpdesk.cli import main
from lpse_helpdesk.platform.auth import TokenSigner
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.schemas import decode_event, sealing
from lpse_helpdesk.schemas.api import NewTicket
from lpse_helpdesk.schemas.codec import encode_plain
from lpse_helpdesk.schemas.events import Reporter
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.intake.application import IntakeService

NAME, EMAIL = "Larasati Sekarwangi", "larasati.s@rahasia-contoh.id"


@pytest.fixture
def keys_in_the_data_folder():
    shared = sealing._keystore
    sealing.pin_keystore(None)
    yield
    sealing.pin_keystore(shared)


def _events(path) -> list[tuple[int, bytes]]:
    db = sqlite3.connect(path)
    try:
        return [(rowid, bytes(state)) for rowid, state in
                db.execute("SELECT rowid, state FROM stored_events ORDER BY rowid")]
    finally:
        db.close()


def test_plaintext_events_are_sealed_in_place(tmp_path, standards, keys_in_the_data_folder,
                                               capsys):
    settings = make_settings(tmp_path, "nats://127.0.0.1:1")
    store = bootstrap.open_store(definition("intake"), settings)  # keys of its data folder
    intake = IntakeService(ServiceContext(settings, store, standards, signer=TokenSigner(b"uji")))
    for i in range(3):
        intake.submit(NewTicket(
            tenant="batubara", channel="web", reporter=Reporter(name=f"{NAME} {i}", email=EMAIL),
            subject=f"Subjek rahasia {i}", description="Deskripsi rahasia Larasati"))
    store.close()
    path = settings.data_dir / "intake.sqlite"
    sealed = _events(path)
    originals = [decode_event(state) for _, state in sealed]
    db = sqlite3.connect(path)  # as an earlier version stored them: in clear
    db.executemany("UPDATE stored_events SET state = ? WHERE rowid = ?",
                   [(encode_plain(event), rowid) for (rowid, _), event in zip(sealed, originals)])
    db.commit()
    db.close()
    assert all(NAME.encode() in state for _, state in _events(path))

    assert main(["personal-data", "seal-existing", "--data-dir", str(settings.data_dir)]) == 0
    out = capsys.readouterr()
    assert "intake: events 3" in out.out and "… intake" in out.err
    rows = _events(path)
    assert [r for r, _ in rows] == [r for r, _ in sealed]  # in place
    for (_, state), original in zip(rows, originals):
        assert b'"sealed":"v1.' in state and NAME.encode() not in state
        assert EMAIL.encode() not in state and b"Deskripsi rahasia" not in state
        assert decode_event(state) == original
    assert main(["personal-data", "seal-existing", "--data-dir", str(settings.data_dir)]) == 0
    assert "intake: events 0" in capsys.readouterr().out
    assert _events(path) == rows
