"""`lpse-helpdesk up` as a user runs it: a real process tree, real ports, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from lpse_helpdesk.platform.natsserver import free_port

CLI = [sys.executable, "-m", "lpse_helpdesk.cli"]


def _pids_using(path: Path) -> list[int]:
    """Processes whose command line mentions `path` (our nats-server's store dir)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(path) in cmdline and "nats-server" in cmdline:
                pids.append(int(entry.name))
    return pids


def _workers_of(parent: int) -> list[int]:
    """`up`'s worker process (multiprocessing spawn children of `parent`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == parent and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
                found.append(int(entry.name))
    return found


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            return json.load(response)["worker"] == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _wait_projected(port: int, created: dict, timeout: float = 30) -> None:
    url = (f"http://127.0.0.1:{port}/api/v1/tickets/{created['number']}"
           f"?token={created['access_token']}")
    deadline, timeline = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                timeline = [e["type"] for e in json.load(response)["timeline"]]
        except urllib.error.HTTPError as error:  # 404 until the desk has projected it
            assert error.code == 404, error
        if "ticket.classified" in timeline:
            return
        time.sleep(0.2)
    raise AssertionError(f"{created['number']} tidak sampai ke desk: {timeline}")


def _events_handled(port: int) -> dict[tuple[str, str], float]:
    """(consumer, outcome) -> helpdesk_events_in_total, as /metrics reports it."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {(s.labels["consumer"], s.labels["outcome"]): s.value
            for family in text_string_to_metric_families(text)
            if family.name == "helpdesk_events_in" for s in family.samples
            if s.name == "helpdesk_events_in_total"}


def test_up_refuses_a_taken_nats_port_and_names_the_flag(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*CLI, "up", "--data-dir", str(tmp_path), "--nats-port", str(port),
             "--http-port", str(free_port()), "--smtp-port", str(free_port())],
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 2
    assert f"Port NATS {port} sudah dipakai" in result.stderr and "--nats-port" in result.stderr
    assert "memakai" not in result.stdout  # a port given as a flag is never moved
    assert _pids_using(tmp_path) == []


def test_up_starts_everything_and_ctrl_c_leaves_no_process(tmp_path):
    http_port, nats_port, smtp_port = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [*CLI, "up", "--data-dir", str(tmp_path), "--nats-port", str(nats_port),
         "--http-port", str(http_port), "--smtp-port", str(smtp_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        assert any(f"http://127.0.0.1:{http_port}/api/v1/tickets" in x for x in lines), lines
        assert len(_pids_using(tmp_path)) == 1  # our own nats-server, in our data folder

        body = json.dumps({"tenant": "tuban", "channel": "email",
                           "reporter": {"name": "Sri", "email": "sri@contoh.id",
                                        "phone": "0356 327987"},
                           "documents": {"id_card": "KTP 3523xxxxxxxxxxxx"},
                           "subject": "Lupa password SPSE", "description": "Mohon reset password"})
        request = urllib.request.Request(
            f"http://127.0.0.1:{http_port}/api/v1/tickets", data=body.encode(),
            headers={"content-type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            created = json.load(response)
            assert created["number"].startswith("TBN-")
        # The desk's view is the worker process's work: the ticket shows up classified there.
        _wait_projected(http_port, created)
        # One /metrics for both processes: triage counts in the front, desk in the worker.
        # (The worker counts a batch just after committing it: give it that moment.)
        deadline = time.monotonic() + 10
        while (handled := _events_handled(http_port)).get(("desk-view", "done"), 0) < 2 \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert handled.get(("triage", "done"), 0) >= 1, handled
        assert handled.get(("desk-view", "done"), 0) >= 2, handled  # received and classified
        workers = _workers_of(proc.pid)
        assert len(workers) == 1, workers

        # A worker killed with SIGKILL is started again, and the work goes on.
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                _workers_of(proc.pid) not in ([], workers) and _ready(http_port)):
            time.sleep(0.2)
        assert _ready(http_port) and _workers_of(proc.pid) not in ([], workers)
        request.data = body.replace("Lupa password", "Tidak bisa unggah").encode()
        with urllib.request.urlopen(request, timeout=10) as response:
            _wait_projected(http_port, json.load(response))
        workers = _workers_of(proc.pid)

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers), workers
        assert "Semua proses berhenti" in proc.stdout.read()
        assert any('"msg": "event ditangani"' in x for x in proc.stderr.read().splitlines())
        deadline = time.monotonic() + 5
        while _pids_using(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pids_using(tmp_path) == []
    finally:
        if proc.poll() is None:
            proc.kill()


def test_run_each_service_alone_against_one_nats(tmp_path, nats_server):
    """Scale-out: intake, triage and desk as three processes sharing one NATS and data folder."""
    ports = {name: free_port() for name in ("intake", "triage", "desk")}
    procs = [
        subprocess.Popen(
            [*CLI, "run", name, "--nats", nats_server.url, "--data-dir", str(tmp_path / "data"),
             "--http-port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "HELPDESK_SECRET": "rahasia-bersama-" + "x" * 32},
        )
        for name, port in ports.items()
    ]
    try:
        for port in ports.values():
            _wait_ready(port)
        body = json.dumps({"tenant": "batam", "channel": "web", "reporter": {"name": "Yusuf"},
                           "subject": "Bagaimana cara daftar akun penyedia?",
                           "description": "Mohon informasi syarat pendaftaran penyedia baru"})
        request = urllib.request.Request(
            f"http://127.0.0.1:{ports['intake']}/api/v1/tickets", data=body.encode(),
            headers={"content-type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            created = json.load(response)
        url = (f"http://127.0.0.1:{ports['desk']}/api/v1/tickets/{created['number']}"
               f"?token={created['access_token']}")
        deadline, ticket = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    ticket = json.load(response)
                if ticket["category"]:
                    break
            except urllib.error.HTTPError:
                pass
            time.sleep(0.2)
        assert ticket and ticket["category"] == "permintaan_layanan", ticket
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            assert proc.wait(timeout=30) == 0


def _wait_ready(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"port {port} tidak siap")


async def test_a_worker_that_cannot_start_is_restarted_less_and_less_often(tmp_path):
    """A worker that dies at once (here: a service that does not exist) is started again after
    a delay that doubles with each quick death, and a worker that had run a while gets the
    base delay again."""
    import asyncio

    from lpse_helpdesk.platform.embedded import QUICK_DEATH, WorkerProcess
    from lpse_helpdesk.settings import Settings

    worker = WorkerProcess(Settings(data_dir=tmp_path), names=("tidak_ada",), log_level="ERROR")
    with __import__("pytest").raises(RuntimeError, match="berhenti saat mulai"):
        await worker.started(timeout=60)
    stop = asyncio.Event()
    watching = asyncio.create_task(worker.watch(stop, interval=0.05, base_delay=0.1))
    deadline = time.monotonic() + 60
    while worker.restarts < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await watching
    assert worker.restarts >= 3 and worker.quick_deaths >= 3, (worker.restarts,
                                                               worker.quick_deaths)
    # The next wait doubles on; after a worker that ran longer than a minute it is the base.
    deaths = worker.quick_deaths
    assert worker.restart_delay(0.1) == 0.1 * 2 ** deaths
    worker._started_at -= QUICK_DEATH  # as if the last start had lasted a minute
    assert worker.restart_delay(0.1) == 0.1 and worker.quick_deaths == 0
