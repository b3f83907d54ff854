"""One /metrics for the two processes of `up`: prometheus_client's multiprocess mode.

Why: the worker serves no HTTP, so `/metrics` showed only the front's figures (intake, triage,
web) and none of desk, escalation, notify or faq_publisher. In multiprocess mode every process
writes its samples to files in one folder, and the front's `/metrics` reads them all
(`observability.exposition`): counters and histograms are summed over the processes, gauges
give the largest value of the live ones.

This module must not import prometheus_client: the mode is chosen when that is first imported.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def share_between_processes(folder: Path) -> bool:
    """Use `folder` (emptied: the counts of an earlier run are not this run's) for this process
    and every process it starts. False, and nothing changed, if prometheus_client is already
    imported here: then `/metrics` keeps showing this process only."""
    if "prometheus_client" in sys.modules:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[ENV] = str(folder)
    return True
