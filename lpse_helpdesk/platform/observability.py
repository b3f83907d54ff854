"""Prometheus metrics and one-JSON-line-per-event logs, shared by every service.

prometheus_client is imported only where metrics are made or served, not with this module:
`up` must choose its multiprocess mode (`metricsdir`) before the first import, and every
command imports this module for its logging.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time

from .metricsdir import ENV as SHARED_METRICS


class Metrics:
    """One registry per process; labels say which service and consumer."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.events_in = Counter(
            "helpdesk_events_in_total", "Bus messages handled by tracked consumers",
            ["service", "consumer", "outcome"], registry=r,
        )
        self.events_out = Counter(
            "helpdesk_events_out_total", "Stored events published by the outbox relay",
            ["service"], registry=r,
        )
        self.publish_duplicates = Counter(
            "helpdesk_publish_duplicates_total", "Relay publishes JetStream dropped as duplicates",
            ["service"], registry=r,
        )
        self.dead_letters = Counter(
            "helpdesk_dead_letters_total", "Messages kept as dead letters", ["service", "consumer"],
            registry=r,
        )
        self.outbox_lag = Gauge(
            "helpdesk_outbox_lag_events", "Stored events not yet published", ["service"], registry=r,
            multiprocess_mode="livemax",  # both `up` processes relay the same stores
        )
        self.consumer_lag = Gauge(
            "helpdesk_consumer_lag_messages", "Stream messages not yet delivered to a consumer",
            ["service", "consumer"], registry=r, multiprocess_mode="livemax",
        )
        # What keeps tickets from flowing (platform/flow.py), also reported by /ready.
        self.outbox_stalled = Gauge(
            "helpdesk_outbox_stalled", "1 while a service's outbox relay has not moved for 30 s",
            ["service"], registry=r, multiprocess_mode="livemax",
        )
        self.consumer_stalled = Gauge(
            "helpdesk_consumer_stalled", "1 while a durable consumer's ack floor has not moved",
            ["consumer"], registry=r, multiprocess_mode="livemax",
        )
        self.stream_full = Gauge(
            "helpdesk_stream_full", "1 while the ticket stream or JetStream storage is full",
            registry=r, multiprocess_mode="livemax",
        )
        self.disk_free = Gauge(
            "helpdesk_data_disk_free_bytes", "Free bytes on the data folder's disk", registry=r,
            multiprocess_mode="livemin",
        )
        self.handle_seconds = Histogram(
            "helpdesk_handle_seconds", "Time to decide and record one message",
            ["service", "consumer"], registry=r,
        )
        # What people see: how long after an event its read model (or decision) is committed.
        self.event_lag = Histogram(
            "helpdesk_event_to_commit_seconds",
            "From an event's occurred_at to the commit of its consumer's decision",
            ["service", "consumer"], registry=r, buckets=LAG_BUCKETS,
        )
        # Every outcome of a mail or webhook attempt: sent, pending (retried), failed or dead
        # (given up), suppressed (held back by the reporter mail guard).
        self.notifications = Counter(
            "helpdesk_notifications_total", "Mail and webhook delivery attempts by outcome",
            ["channel", "outcome"], registry=r,
        )
        # Filled by Litestar's PrometheusMiddleware (httpmetrics.py), in the order of its labels.
        http_labels = ["method", "path", "status_code", "app_name"]
        self.http_requests = Counter(
            "helpdesk_http_requests", "HTTP requests by route template", http_labels, registry=r)
        self.http_errors = Counter(
            "helpdesk_http_requests_error", "HTTP requests answered 5xx", http_labels, registry=r)
        self.http_seconds = Histogram(
            "helpdesk_http_request_duration_seconds", "Time to the response's first body chunk",
            http_labels, registry=r, buckets=HTTP_BUCKETS,
        )
        self.http_in_progress = Gauge(
            "helpdesk_http_requests_in_progress", "HTTP requests being answered", http_labels,
            registry=r, multiprocess_mode="livesum",
        )
        self.build_info = Gauge(
            "helpdesk_build_info", "1, labelled with the running version", ["version", "python"],
            registry=r, multiprocess_mode="livemax",
        )
        self.build_info.labels(_version(), platform.python_version()).set(1)


# Seconds. A page or API answers in milliseconds, an export or a slow store in seconds.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds. Under load an event reaches its views in tens of milliseconds to seconds; after an
# outage a consumer catches up on minutes- or hours-old events.
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lpse-helpdesk")
    except PackageNotFoundError:  # run from a source tree without installing
        return "unknown"


def exposition(registry) -> bytes:
    """The text /metrics serves: this process's registry, or with `up`'s shared folder
    (`metricsdir`) the samples of every process that writes there."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess

    if not os.environ.get(SHARED_METRICS):
        return generate_latest(registry)
    every_process = CollectorRegistry()
    multiprocess.MultiProcessCollector(every_process)
    return generate_latest(every_process)


def forget_process(pid: int) -> None:
    """A dead process's gauges stop counting (its counters stay: they are totals)."""
    if os.environ.get(SHARED_METRICS):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Access logs and faststream's own chatter would double our one line per event.
    for noisy in ("uvicorn.access", "faststream", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_event(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields) -> None:
    logger.log(level, msg, extra={"fields": fields})
