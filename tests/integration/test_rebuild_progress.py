"""`lpse-helpdesk rebuild` tells how far it has read, a pull at a time, on stderr."""

from __future__ import annotations

import asyncio

import nats
from nats.js.api import StreamConfig

from lpse_helpdesk.cli import main
from lpse_helpdesk.cli_admin import _count
from lpse_helpdesk.platform import streamread
from lpse_helpdesk.schemas import STREAM, STREAM_SUBJECTS
from test_rebuild import synthetic_messages


async def test_rebuild_prints_its_progress_as_it_reads(tmp_path, nats_server, monkeypatch,
                                                       capsys):
    messages = synthetic_messages(5)  # ten: five tickets received, then five info requests
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name=STREAM, subjects=STREAM_SUBJECTS))
        for _, subject, data in messages:
            await js.publish(subject, data)
    finally:
        await nc.close()
    monkeypatch.setattr(streamread, "PULL", 4)  # three pulls instead of one of 5,000

    assert await asyncio.to_thread(main, ["rebuild", "desk", "--data-dir", str(tmp_path),
                                          "--nats", nats_server.url]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "desk-view: membaca 10 pesan dari stream / reading 10 stream messages",
        "desk-view: … 4 / 10 pesan", "desk-view: … 8 / 10 pesan", "desk-view: … 10 / 10 pesan",
    ], err
    assert "dibangun ulang dari 10 pesan" in out  # the result stays on stdout
    assert _count(15_000) == "15.000" and _count(1_234_567) == "1.234.567"
