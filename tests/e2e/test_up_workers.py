"""`lpse-helpdesk up --workers 2`: the background services split over two worker processes.
A ticket still goes all the way (classified, the desk's view, one receipt mail), and each
worker killed with SIGKILL is started again with its services, after which tickets go on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from lpse_helpdesk.platform.embedded import worker_groups
from lpse_helpdesk.platform.natsserver import free_port

CLI = [sys.executable, "-m", "lpse_helpdesk.cli"]
REPORTER = "sri@contoh.id"


def _workers_of(parent: int) -> list[int]:
    """`up`'s worker processes (multiprocessing spawn children of `parent`)."""
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
    return sorted(found)


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            return json.load(response)["worker"] == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _post(port: int, subject: str) -> dict:
    body = json.dumps({"tenant": "tuban", "channel": "email",
                       "reporter": {"name": "Sri", "email": REPORTER, "phone": "0356 327987"},
                       "documents": {"id_card": "KTP 3523xxxxxxxxxxxx"},
                       "subject": subject, "description": "Mohon dibantu"})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tickets", data=body.encode(),
        headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.load(response)


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"tidak terjadi dalam {timeout} detik: {what}")


def _category_shown(port: int, created: dict) -> bool:
    """The reporter's view (desk's projection) shows the category triage gave."""
    url = f"http://127.0.0.1:{port}/api/v1/tickets/{created['number']}?token={created['access_token']}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(json.load(response).get("category"))
    except urllib.error.HTTPError as error:  # 404 until the desk has projected it
        assert error.code == 404, error
        return False


def _receipts(sink, number: str) -> int:
    return sum(1 for to, m in list(sink.messages)
               if to == REPORTER and str(m["Subject"]) == f"[{number}] Laporan Anda sudah kami terima")


def _flows(port: int, sink, subject: str) -> None:
    created = _post(port, subject)
    _until(lambda: _category_shown(port, created), 60, f"kategori {created['number']} tampil")
    _until(lambda: _receipts(sink, created["number"]), 60, f"tanda terima {created['number']}")
    time.sleep(1.0)  # a second copy, if one were sent, has had time to come
    assert _receipts(sink, created["number"]) == 1


def test_two_workers_carry_a_ticket_and_each_is_restarted_after_a_kill(tmp_path, sink):
    assert len(worker_groups(2)) == 2
    http_port = free_port()
    proc = subprocess.Popen(
        [*CLI, "up", "--data-dir", str(tmp_path), "--nats-port", str(free_port()),
         "--http-port", str(http_port), "--smtp-port", str(free_port()), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "HELPDESK_SMTP_URL": sink.url})
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
            if "Ctrl-C" in lines[-1] or not lines[-1]:
                break
        assert any("Proses pekerja / worker processes: 2" in x for x in lines), lines
        workers = _workers_of(proc.pid)
        assert len(workers) == 2, workers
        _flows(http_port, sink, "Lupa password SPSE")

        # Both killed at once: each is started again with its own services (desk's view in one,
        # notify's mails in the other), and the next ticket goes all the way.
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        _until(lambda: len(set(_workers_of(proc.pid)) - set(workers)) == 2 and _ready(http_port),
               60, "dua pekerja baru siap")
        _flows(http_port, sink, "Tidak bisa unggah dokumen")

        workers = _workers_of(proc.pid)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers), workers
    finally:
        if proc.poll() is None:
            proc.kill()
