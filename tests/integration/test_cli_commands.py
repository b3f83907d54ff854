"""The small commands, as a user runs them: exit codes and what they print."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lpse_helpdesk.standards.loader import SHIPPED_DIR

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "lpse_helpdesk.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_standards_check_accepts_the_five_units():
    files = sorted(str(p) for p in SHIPPED_DIR.glob("*.toml"))
    assert len(files) == 5
    result = run("standards", "check", *files)
    assert result.returncode == 0, result.stderr
    assert "OK: 5 berkas" in result.stdout


def test_standards_check_names_file_and_key(tmp_path):
    broken = tmp_path / "tuban.toml"
    text = (SHIPPED_DIR / "tuban.toml").read_text()
    broken.write_text(text.replace('timezone = "Asia/Jakarta"', 'timezone = "Asia/Jakarta_Timur"', 1))
    result = run("standards", "check", str(broken))
    assert result.returncode == 1
    assert str(broken) in result.stderr and "calendar.timezone" in result.stderr


def test_classifier_accuracy_command_prints_the_figure():
    result = run("classifier-accuracy")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("Akurasi"))
    percent = float(line.split(":")[1].split("%")[0])
    assert percent >= 90.0, line


@pytest.mark.parametrize("layout", ["embedded", "split"])
def test_bench_prints_its_figures_as_json(layout):
    split = ["--split"] if layout == "split" else []
    result = subprocess.run([*CLI, "bench", "--tickets", "20", "--concurrency", "4", "--json",
                             *split], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = __import__("json").loads(result.stdout.strip().splitlines()[-1])
    for key in ("tickets_per_s", "p99_ms", "rebuild_events_per_s", "peak_rss_mb",
                "rebuild_peak_rss_mb", "raw_publish_per_s", "receipt_p99_ms"):
        assert figures[key] > 0, (key, figures)
    assert figures["tickets"] == 20 and figures["layout"] == layout
    # Every reporter's receipt reached the bench's SMTP listener (the unit's own "Tiket baru"
    # mails are counted too, but the bench does not wait for the last of them).
    assert figures["receipts"] == 20 and figures["mails"] >= 20, figures
    assert figures["receipt_p50_ms"] <= figures["receipt_p99_ms"], figures
    # The stages: triage classifies a ticket only after it was answered and is on the bus (the
    # answer and the relay's publish race, so those two are not compared).
    assert 0 < figures["answer_p50_ms"] <= figures["p50_ms"], figures
    assert 0 < figures["received_p50_ms"] <= figures["p50_ms"], figures


def test_users_add_without_a_data_folder_says_which_folder_it_made(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    add = [*CLI, "users", "add"]
    first = subprocess.run([*add, "--tenant", "*", "--username", "admin", "--role", "admin"],
                           input="rahasia-sekali-123\n", capture_output=True, text=True,
                           timeout=120, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    folder = (tmp_path / "helpdesk-data").resolve()  # the default, in the current folder
    assert f"Folder data baru: {folder} (dibuat)" in first.stdout, first.stdout
    assert f"dibuat di {folder}" in first.stdout and (folder / "desk.sqlite").exists()
    second = subprocess.run([*add, "--tenant", "batam", "--username", "hd.btm", "--role",
                             "helpdesk"],
                            input="rahasia-sekali-123\n", capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "Folder data baru" not in second.stdout and f"dibuat di {folder}" in second.stdout
