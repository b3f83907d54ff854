"""`bench --split`: the same load against the scale-out layout, each service its own process.

The embedded default runs the services in two processes (`platform/embedded.py`). Production
runs each service as `lpse-helpdesk run SERVICE` (docs/production.md). This measures that
layout on the same machine, one process per service on one nats-server and one data folder, so
the two figures can be compared.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .platform.natsserver import free_port
from .settings import Settings


def peak_rss_of(pid: int) -> float:
    """A running process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class SplitServices:
    """Every service as its own `run SERVICE` process; intake's HTTP port takes the load."""

    def __init__(self, settings: Settings, names: tuple[str, ...]):
        self.settings, self.names = settings, names
        self.ports = {name: free_port() for name in names}
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = Path(settings.data_dir) / "logs"

    def start(self, timeout: float = 60.0) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HELPDESK_SECRET": os.environ.get("HELPDESK_SECRET", "bench-" * 6),
               "HELPDESK_SMTP_URL": self.settings.smtp_url}
        for name in self.names:
            with (self.logs / f"{name}.log").open("w") as log:  # the child keeps its own copy
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "lpse_helpdesk.cli", "run", name,
                     "--nats", self.settings.nats_url, "--data-dir", str(self.settings.data_dir),
                     "--http-port", str(self.ports[name])],
                    env=env, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        for name in self.names:
            while not self._ready(name):
                if self.processes[name].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"layanan {name} tidak siap; lihat {self.logs}/{name}.log")
                time.sleep(0.1)

    def _ready(self, name: str) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.ports[name]}/ready", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def peak_rss_mb(self) -> float:
        """The services' peak resident memory, summed (read while they still run)."""
        return sum(peak_rss_of(process.pid) for process in self.processes.values())

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
