"""The shipped cluster configuration (deploy/nats/) as an operator installs it: certificates from
make-tls.sh, users from users.conf, three nodes; the services connect over TLS with their own
user and an unauthenticated or plain connection is refused."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nats
import pytest

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.platform import natsauth
from lpse_helpdesk.platform.bus import tls_for
from lpse_helpdesk.platform.natsserver import free_port, nats_server_binary

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nats"  # .ci/run copies deploy/ too
PASSWORDS = {"HELPDESK_NATS_PASSWORD": "layanan-" + "a" * 24,
             "HELPDESK_NATS_SUBSCRIBER_PASSWORD": "pelanggan-" + "b" * 24}


def test_users_conf_is_what_the_code_makes():
    assert (DEPLOY / "users.conf").read_text() == natsauth.cluster_users_file()


@pytest.fixture
def shipped_cluster(tmp_path):
    tls = tmp_path / "tls"
    subprocess.run([DEPLOY / "make-tls.sh", tls, "node", "127.0.0.1", "localhost"], check=True,
                   capture_output=True)
    ports = {old: free_port() for old in (4222, 4223, 4224, 6222, 6223, 6224, 8222, 8223, 8224)}
    processes = []
    for n in (1, 2, 3):
        folder = tmp_path / f"node{n}"
        folder.mkdir()
        text = (DEPLOY / f"cluster-node{n}.conf").read_text()
        text = re.sub(r"127\.0\.0\.1:(\d{4})", lambda m: f"127.0.0.1:{ports[int(m[1])]}", text)
        text = text.replace("/etc/lpse-helpdesk/nats/tls", str(tls))
        text = text.replace(f"/var/lib/lpse-helpdesk-nats/node{n}", str(folder / "js"))
        (folder / "users.conf").write_text((DEPLOY / "users.conf").read_text())
        (folder / "node.conf").write_text(text)
        processes.append(subprocess.Popen(
            [nats_server_binary(), "-c", folder / "node.conf", "-l", folder / "nats.log"],
            env=PASSWORDS, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
    yield [ports[p] for p in (4222, 4223, 4224)], tls / "ca.pem"
    for process in processes:
        process.terminate()
        process.wait(10)


async def _refused(url: str, **options) -> str:
    try:
        nc = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0,
                                connect_timeout=2, **options)
    except Exception as exc:  # noqa: BLE001 - the refusal is what the test wants
        return f"{type(exc).__name__}: {exc}"
    await nc.close()
    return "connected"


async def test_services_reach_the_shipped_cluster_over_tls_with_their_user(tmp_path,
                                                                          shipped_cluster):
    ports, ca = shipped_cluster
    password = PASSWORDS["HELPDESK_NATS_PASSWORD"]
    url = ",".join(f"tls://helpdesk:{password}@127.0.0.1:{p}" for p in ports)

    async def cluster_ready() -> bool:
        try:
            nc = await nats.connect(url.split(",")[0], tls=tls_for(ca), connect_timeout=2,
                                    allow_reconnect=False, max_reconnect_attempts=0)
        except Exception:  # noqa: BLE001 - still starting
            return False
        try:
            await nc.jetstream().account_info()
            return True
        except Exception:  # noqa: BLE001 - no JetStream meta leader yet
            return False
        finally:
            await nc.close()

    await eventually(cluster_ready, timeout=30, interval=0.5, what="the cluster elects a leader")
    assert await _refused(f"nats://127.0.0.1:{ports[0]}") != "connected"
    assert await _refused(f"tls://127.0.0.1:{ports[0]}", tls=tls_for(ca)) != "connected"
    assert "Authorization" in await _refused(
        f"tls://helpdesk:salah@127.0.0.1:{ports[0]}", tls=tls_for(ca))

    settings = make_settings(tmp_path, url, nats_ca_file=ca, stream_replicas=3)
    async with running_helpdesk(settings, services=["intake", "triage", "desk"]) as hd:
        created = (await hd.post_ticket()).json()

        async def classified() -> bool:
            ticket = await hd.ticket(created)
            return bool(ticket and ticket["category"])

        await eventually(classified, timeout=30, what="a ticket flows over the TLS cluster")
