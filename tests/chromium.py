"""Debian's Chromium for the browser tests, installed by the test set-up itself when missing.

Playwright's own browser download does not work here, so the tests drive the distribution's
`chromium` through Playwright's `executable_path`. On a machine without it, the tests install
it with apt-get when they run as root (as CI does); otherwise they skip with the reason, except
under `CI=true`, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--no-first-run"]


def _found() -> str | None:
    return next((path for path in CANDIDATES if os.path.exists(path)), None)


def _install() -> str:
    """apt-get install chromium; returns what went wrong, or ""."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "chromium is missing, and installing it needs root and apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                    ["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        print(f"[browser tests] {' '.join(command)}", flush=True)
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode == 0 and command[1] == "install":
            return ""
    return f"apt-get install chromium failed: {result.stderr[-500:]}"


def chromium_or_skip() -> str:
    path = _found()
    if path is None:
        problem = _install()
        path = _found()
        if path is None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"Chromium is required under CI=true: {problem}")
            print(f"[browser tests] skipped: {problem}")
            pytest.skip(problem)
    return path
