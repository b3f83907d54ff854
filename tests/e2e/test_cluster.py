"""Scale-out proof: a three-node NATS JetStream cluster with R3 streams, every service as two
replicas on one PostgreSQL database, and the stream leader killed (SIGKILL) in the middle of
the traffic. Every ticket is still classified exactly once and no event is duplicated.

The replicas are two in-process `Runtime`s (the same object `lpse-helpdesk run` builds), each
with its own HTTP port and data folder, given all three NATS URLs and one shared
HELPDESK_SECRET, as two machines would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import nats
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform.natsserver import free_port, nats_server_binary
from lpse_helpdesk.schemas import STREAM

TICKETS = 40
CLUSTER = "helpdesk-test"


@dataclass
class Node:
    name: str
    port: int
    cluster_port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def config(self, peers: list[Node]) -> str:
        # The same shape as deploy/nats/cluster-node*.conf, on free loopback ports.
        routes = ", ".join(f"nats-route://127.0.0.1:{p.cluster_port}" for p in peers)
        return (
            f'server_name: {self.name}\nlisten: "127.0.0.1:{self.port}"\n'
            f'jetstream {{\n  store_dir: "{self.folder / "jetstream"}"\n}}\n'
            f'cluster {{\n  name: {CLUSTER}\n  listen: "127.0.0.1:{self.cluster_port}"\n'
            f"  routes: [{routes}]\n}}\n"
        )

    def start(self, peers: list[Node]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "node.conf"
        conf.write_text(self.config(peers))
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf), "-l", str(self.folder / "nats-server.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:  # SIGKILL: no goodbye to the cluster, no flush
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def nats_cluster(tmp_path):
    nodes = [Node(f"n{i}", free_port(), free_port(), tmp_path / f"n{i}") for i in (1, 2, 3)]
    for node in nodes:
        node.start([peer for peer in nodes if peer is not node])
    yield nodes
    for node in nodes:
        node.stop()


async def _jetstream_ready(urls: list[str], timeout: float = 30.0) -> None:
    """Until the cluster has elected its JetStream meta leader."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            nc = await nats.connect(urls, connect_timeout=1, max_reconnect_attempts=0)
            try:
                await nc.jetstream().account_info()
                return
            finally:
                await nc.close()
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _stream_events(urls: list[str]) -> list[tuple[str, str]]:
    """(subject, event_id) of every message in the stream, in order."""
    nc = await nats.connect(urls, connect_timeout=2)
    try:
        js = nc.jetstream()
        info = await js.stream_info(STREAM)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(STREAM, seq)
            found.append((msg.subject, json.loads(msg.data)["event_id"]))
        return found
    finally:
        await nc.close()


async def test_two_replicas_on_an_r3_cluster_survive_a_killed_node(
        tmp_path, nats_cluster, pg_url, monkeypatch):
    monkeypatch.setenv("HELPDESK_SECRET", "gedeelde-geheim-" + "x" * 32)  # one secret, all hosts
    urls = [node.url for node in nats_cluster]
    await _jetstream_ready(urls)

    replicas = []
    for i, order in enumerate((urls, urls[1:] + urls[:1])):
        base = make_settings(tmp_path / f"replica{i}", ",".join(order), pg_url)
        replicas.append(replace(base, stream_replicas=3))

    async with contextlib.AsyncExitStack() as stack:
        desks = [await stack.enter_async_context(running_helpdesk(s, wait_nats=False))
                 for s in replicas]
        for hd in desks:
            await asyncio.wait_for(hd.runtime.nats_ready.wait(), 30)

        nc = await nats.connect(urls)
        js = nc.jetstream()
        for name in ("KV_TICKET_DECISIONS", "OBJ_ATTACHMENTS"):
            assert (await js.stream_info(name)).config.num_replicas == 3, name

        async def placed():  # R3, with an elected leader and both followers current
            info = await js.stream_info(STREAM)
            replicas = info.cluster.replicas or []
            return info if (info.config.num_replicas == 3 and info.cluster.leader
                            and len(replicas) == 2 and all(r.current for r in replicas)) else None

        leader = (await eventually(placed, timeout=15, what="TICKETS R3 dengan leader")).cluster.leader
        await nc.close()

        created: list[dict] = []

        async def post(i: int) -> None:
            hd = desks[i % 2]  # spread over both replicas' HTTP ports
            r = await hd.post_ticket("batam", subject=f"Tidak bisa login SPSE {i}",
                                     description=f"Percobaan {i}: muncul error saat login.")
            assert r.status_code == 201, r.text
            created.append(r.json())

        for start in range(0, TICKETS // 2, 5):
            await asyncio.gather(*(post(i) for i in range(start, start + 5)))
        # Mid-way: SIGKILL the node that leads the TICKETS stream, the worst one to lose.
        victim = next(node for node in nats_cluster if node.name == leader)
        victim.kill()
        survivors = [node.url for node in nats_cluster if node is not victim]
        for start in range(TICKETS // 2, TICKETS, 5):
            await asyncio.gather(*(post(i) for i in range(start, start + 5)))

        assert len({c["number"] for c in created}) == TICKETS  # no number given twice

        async def all_classified():
            views = []
            for n, c in enumerate(created):
                view = await desks[n % 2].ticket(c)
                if not view or view["category"] is None:
                    return None
                views.append(view)
            return views

        views = await eventually(all_classified, timeout=45, interval=0.5,
                                 what=f"{TICKETS} tiket terklasifikasi setelah node {leader} mati")
        # Let late redeliveries (if any) land before counting.
        await asyncio.sleep(1.0)
        views = await all_classified()
        for view in views:
            kinds = Counter(entry["type"] for entry in view["timeline"])
            assert kinds["ticket.received"] == 1 and kinds["ticket.classified"] == 1, (
                view["number"], kinds)
            ids = [entry["event"]["event_id"] for entry in view["timeline"]]
            assert len(ids) == len(set(ids)), view["number"]

        events = await _stream_events(survivors)
        counts = Counter(event_id for _, event_id in events)
        assert [e for e, n in counts.items() if n > 1] == [], events  # no event twice
        subjects = Counter(subject.rsplit(".", 1)[-1] for subject, _ in events)
        assert subjects["received"] == TICKETS and subjects["classified"] == TICKETS, subjects


def test_replicas_and_cluster_urls_come_from_env_or_flags():
    from lpse_helpdesk.bootstrap import settings_from
    from lpse_helpdesk.cli import build_parser
    from lpse_helpdesk.platform.bus import nats_servers
    from lpse_helpdesk.settings import Settings

    assert Settings.from_env({}).stream_replicas == 1
    assert Settings.from_env({"HELPDESK_STREAM_REPLICAS": "3"}).stream_replicas == 3
    args = build_parser().parse_args(["run", "triage", "--stream-replicas", "3", "--nats",
                                      "nats://a:4222, nats://b:4222,nats://c:4222"])
    settings = settings_from(args)
    assert settings.stream_replicas == 3
    assert nats_servers(settings.nats_url) == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
