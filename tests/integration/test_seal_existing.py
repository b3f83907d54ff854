"""`personal-data seal-existing`: events an earlier version stored in clear are rewritten sealed
in place, decode to what they were, and a second run finds nothing left to do."""

from __future__ import annotations

import pytest
from conftest import make_settings

from lpse_helpdesk import bootstrap
from lpse_helpdesk.cli import main
from lpse_helpdesk.platform.auth import TokenSigner
from lpse_helpdesk.platform.service import ServiceContext
from lpse_helpdesk.platform.store import Write
from lpse_helpdesk.schemas import decode_event, sealing
from lpse_helpdesk.schemas.api import NewTicket
from lpse_helpdesk.schemas.codec import encode_plain
from lpse_helpdesk.schemas.events import Reporter
from lpse_helpdesk.sealexisting import _events_table
from lpse_helpdesk.services import definition
from lpse_helpdesk.services.intake.application import IntakeService

NAME, EMAIL = "Larasati Sekarwangi", "larasati.s@rahasia-contoh.id"


@pytest.fixture
def keys_in_the_data_folder():
    shared = sealing._keystore
    sealing.pin_keystore(None)
    yield
    sealing.pin_keystore(shared)


def _key(store) -> str:
    return "notification_id" if store.backend.is_postgres else "rowid"


def _events(settings) -> list[tuple[int, bytes]]:
    store = bootstrap.open_store(definition("intake"), settings)
    try:
        return [(key, bytes(state)) for key, state in store.query(
            f"SELECT {_key(store)}, state FROM {_events_table(store)} ORDER BY 1", ())]
    finally:
        store.close()


def test_plaintext_events_are_sealed_in_place(tmp_path, standards, keys_in_the_data_folder,
                                               capsys, database_url):
    settings = make_settings(tmp_path, "nats://127.0.0.1:1", database_url=database_url)
    store = bootstrap.open_store(definition("intake"), settings)  # keys of its data folder
    intake = IntakeService(ServiceContext(settings, store, standards, signer=TokenSigner(b"uji")))
    for i in range(3):
        intake.submit(NewTicket(
            tenant="batubara", channel="web", reporter=Reporter(name=f"{NAME} {i}", email=EMAIL),
            subject=f"Subjek rahasia {i}", description="Deskripsi rahasia Larasati"))
    sealed = _events(settings)
    originals = [decode_event(state) for _, state in sealed]
    # as an earlier version stored them: in clear
    store.execute([Write(f"UPDATE {_events_table(store)} SET state = ? WHERE {_key(store)} = ?",
                         (encode_plain(event), key))
                   for (key, _), event in zip(sealed, originals)])
    store.close()
    assert all(NAME.encode() in state for _, state in _events(settings))

    flags = ["--data-dir", str(settings.data_dir)] + (["--database", database_url]
                                                      if database_url else [])
    assert main(["personal-data", "seal-existing", *flags]) == 0
    out = capsys.readouterr()
    assert "intake: events 3" in out.out and "… intake" in out.err
    rows = _events(settings)
    assert [r for r, _ in rows] == [r for r, _ in sealed]  # in place
    for (_, state), original in zip(rows, originals):
        assert b'"sealed":"v1.' in state and NAME.encode() not in state
        assert EMAIL.encode() not in state and b"Deskripsi rahasia" not in state
        assert decode_event(state) == original
    assert main(["personal-data", "seal-existing", *flags]) == 0
    assert "intake: events 0" in capsys.readouterr().out
    assert _events(settings) == rows
