"""`rebuild desk` reads the stream in a child process (`platform/streamproc.py`): the rows are
those of the in-process bulk rebuild, and a read that fails keeps the old rows."""

from __future__ import annotations

import asyncio

import nats
import pytest
from nats.js.api import StreamConfig
from test_rebuild import desk_store, rows, synthetic_messages

from lpse_helpdesk.cli import main
from lpse_helpdesk.platform import rebuild, streamproc, streamread
from lpse_helpdesk.platform.natsserver import free_port
from lpse_helpdesk.schemas import STREAM, STREAM_SUBJECTS, subject_filter
from lpse_helpdesk.settings import Settings
from lpse_helpdesk.standards import load_standards


async def test_the_rows_of_a_read_apart_are_those_of_the_read_here(tmp_path, nats_server,
                                                                   monkeypatch):
    messages = synthetic_messages(7)
    nc = await nats.connect(nats_server.url)
    try:
        await nc.jetstream().add_stream(StreamConfig(name=STREAM, subjects=STREAM_SUBJECTS))
        for _, subject, data in messages:
            await nc.jetstream().publish(subject, data)
    finally:
        await nc.close()
    standards = load_standards()
    here, spec = desk_store(Settings(data_dir=tmp_path / "here"), standards)
    apart, spec_apart = desk_store(Settings(data_dir=tmp_path / "apart"), standards)
    try:
        rebuild.bulk_rebuild(here, spec, [messages])
        monkeypatch.setattr(streamread, "PULL", 3)  # five pulls through the pipe
        heard = []
        result = await read_apart(nats_server.url, apart, spec_apart,
                                  lambda read, total: heard.append(read))
        assert result.replayed == result.tracked == len(messages) == 14
        assert heard == [0, 3, 6, 9, 12, 14]
        assert rows(apart) == rows(here) and len(rows(here)["ticket_state"]) == 7
    finally:
        here.close()
        apart.close()


async def test_a_read_apart_that_fails_keeps_the_old_rows(tmp_path):
    store, spec = desk_store(Settings(data_dir=tmp_path), load_standards())
    try:
        rebuild.bulk_rebuild(store, spec, [synthetic_messages(3)])
        before = rows(store)
        nobody = f"nats://127.0.0.1:{free_port()}"  # the child cannot connect
        with pytest.raises(RuntimeError, match="membaca stream gagal"):
            await read_apart(nobody, store, spec)
        assert rows(store) == before
    finally:
        store.close()



async def test_the_command_reads_a_long_stream_apart(tmp_path, nats_server, monkeypatch):
    messages = synthetic_messages(3)
    nc = await nats.connect(nats_server.url)
    try:
        await nc.jetstream().add_stream(StreamConfig(name=STREAM, subjects=STREAM_SUBJECTS))
        for _, subject, data in messages:
            await nc.jetstream().publish(subject, data)
    finally:
        await nc.close()

    async def not_here(*args, **kwargs):
        raise AssertionError("read in the command's own process")

    monkeypatch.setattr(rebuild, "APART_FROM", len(messages))  # "long" from 6 messages
    monkeypatch.setattr(rebuild, "rebuild_from_stream", not_here)
    assert await asyncio.to_thread(main, ["rebuild", "desk", "--data-dir", str(tmp_path),
                                          "--nats", nats_server.url]) == 0
    store, _ = desk_store(Settings(data_dir=tmp_path), load_standards())
    try:
        assert len(rows(store)["ticket_state"]) == 3
    finally:
        store.close()


async def read_apart(nats_url, store, spec, progress=None):
    """`bulk_rebuild` fed by the child reader, as `rebuild_in_bulk` runs it."""
    from functools import partial

    return await streamproc.read_apart(nats_url, [subject_filter()[0]],
                                       partial(rebuild.bulk_rebuild, store, spec), progress)
