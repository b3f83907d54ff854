"""What `lpse-helpdesk bench` tells while it runs (each phase, on stderr) and at the end (its
figures, on stdout, before the `--json` line that must stay the last)."""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import time
from pathlib import Path


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def phase(indonesian: str, english: str):
    """Announce a phase as it starts and as it ends, with its duration: a bench of thousands of
    tickets runs for minutes, and a stalled phase shows which one it is."""
    say(f"bench: {indonesian}... / {english}...")
    started = time.perf_counter()
    yield
    say(f"bench: {indonesian} selesai ({time.perf_counter() - started:.1f} s)"
        f" / {english} done")


def print_figures(figures: dict) -> None:
    raw = figures["raw_publish_per_s"]
    print(f"tiket/detik (kirim -> terklasifikasi): {figures['tickets_per_s']}"
          f"  ({figures['tickets_per_s'] / raw:.1%} dari publish mentah)")
    print(f"latensi kirim -> terklasifikasi: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']}"
          f" ms, p99 {figures['p99_ms']} ms")
    print(f"  tahap: kirim -> jawaban HTTP 201 p50 {figures['answer_p50_ms']} / p99"
          f" {figures['answer_p99_ms']} ms; kirim -> ticket.received di bus p50"
          f" {figures['received_p50_ms']} / p99 {figures['received_p99_ms']} ms")
    if figures["receipts"]:
        print(f"latensi kirim -> surat tanda terima pelapor: p50 {figures['receipt_p50_ms']} ms,"
              f" p95 {figures['receipt_p95_ms']} ms, p99 {figures['receipt_p99_ms']} ms"
              f"  ({figures['receipts']}/{figures['tickets']} surat, {figures['receipts_per_s']}/detik)")
    else:
        print(f"surat tanda terima pelapor: tidak ada yang sampai dari {figures['tickets']} tiket")
    print(f"event/detik lewat bus: {figures['events_per_s']}  ({figures['events_per_s'] / raw:.1%}"
          " dari publish mentah)")
    print(f"bangun ulang read model (desk + FAQ) dari stream: {figures['rebuild_events_per_s']}"
          " event/detik")
    print(f"memori puncak (semua proses helpdesk + nats-server): {figures['peak_rss_mb']} MB")
    if figures["rebuild_peak_rss_mb"]:
        print(f"memori puncak saat bangun ulang (proses yang membangun): "
              f"{figures['rebuild_peak_rss_mb']} MB")
    print(f"publish JetStream mentah (nats-py) mesin ini: {raw} pesan/detik")
    if "rss_mb" in figures:
        print("memori sekarang per proses: " + ", ".join(
            f"{name} {mb} MB" for name, mb in figures["rss_mb"].items()))
    if figures.get("history_tickets"):
        print(f"riwayat: {figures['history_tickets']} tiket dalam {figures['history_fill_s']} s;"
              f" disk {figures['disk_bytes_per_ticket']} byte/tiket")
        for name, what in (("queue", "antrean staf"), ("ticket", "halaman tiket"),
                           ("search", "cari tiket staf"), ("dashboard", "dasbor 30 hari"),
                           ("faq", "cari FAQ"), ("visible", "kirim -> kategori tampil bagi pelapor"),
                           ("visible_receipt", "kirim -> surat tanda terima (tiket pemantau)")):
            if f"{name}_p50_ms" in figures:
                print(f"  {what}: p50 {figures[f'{name}_p50_ms']} ms,"
                      f" p99 {figures[f'{name}_p99_ms']} ms")


def own_peak_rss_mb() -> float:
    """This process's peak (VmHWM, which `reset_own_peak_rss` can reset; getrusage's maximum
    cannot be: it also keeps the peak of every thread that has exited)."""
    from .benchsplit import peak_rss_of

    try:
        return peak_rss_of(os.getpid())
    except OSError:  # no /proc
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB


def reset_own_peak_rss() -> bool:
    """Start this process's peak (VmHWM) again from its current size (Linux: clear_refs 5), so
    that the rebuild's peak is its own and not the front's that served the load before it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False
