"""`bench --quick --history N`: a functional check of what it reports, not of how fast."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_bench_with_history_reports_the_staff_reads_disk_and_memory():
    script = Path(sys.executable).parent / "lpse-helpdesk"
    done = subprocess.run([str(script), "bench", "--quick", "--tickets", "40", "--concurrency",
                           "8", "--history", "30", "--json"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["history_tickets"] == 30 and figures["history_caught_up"] is True
    assert figures["history_mails_waiting"] == 0 and figures["history_conflicts"] == 0
    assert figures["tickets"] == 40 and figures["receipts"] == 40  # the usual load still runs
    for name in ("queue", "ticket", "search", "dashboard", "faq", "visible", "visible_receipt"):
        assert 0 < figures[f"{name}_p50_ms"] <= figures[f"{name}_p99_ms"] < 60_000, name
    # Tickets posted while the reads ran (at most one per history ticket): each one's category
    # was seen in its reporter's view and its receipt mail reached the SMTP listener.
    assert figures["visible_tickets"] == figures["visible_receipts"] == 30
    # Thirty tickets with their replies, closes and surveys take room in the stores and stream.
    assert 1_000 < figures["disk_bytes_per_ticket"] < 10_000_000
    assert 0 < figures["disk_stream_bytes"] < figures["disk_bytes_total"]
    assert set(figures["rss_mb"]) == {"front", "worker", "nats"}
    assert all(10 < mb < 4_000 for mb in figures["rss_mb"].values())
    assert "antrean staf: p50" in done.stdout
