"""HTTP request counts and durations per route template, on the process's own registry.

Litestar's `PrometheusMiddleware` does the timing (until the first body chunk) and labels a
request by method, route template (`group_path`: `/api/v1/tickets/{ticket_id:uuid}`, never
the raw path, so the label set is bounded by the routes) and status. It makes its metrics
in prometheus_client's global registry, shared by every app of the process, while `/metrics`
serves the runtime's own registry (`Metrics`); tests run several runtimes in one process.
So this subclass only hands it the runtime's metrics instead. Requests no route matches
never reach route middleware, so a scanner's random paths add no series.

Imported when the app is built, never with `observability`: prometheus_client must not be
imported before `up` chooses its multiprocess mode (`metricsdir`).
"""

from __future__ import annotations

import time
from typing import Any

from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware

from .observability import Metrics


class _RuntimeMetricsMiddleware(PrometheusMiddleware):
    def __init__(self, app: Any, config: PrometheusConfig, metrics: Metrics) -> None:
        super().__init__(app, config)
        self._ours = metrics

    def request_count(self, labels):
        return self._ours.http_requests

    def request_time(self, labels):
        return self._ours.http_seconds

    def requests_in_progress(self, labels):
        return self._ours.http_in_progress

    def requests_error_count(self, labels):
        return self._ours.http_errors

    def _get_wrapped_send(self, send, request_span):
        # As Litestar's, without its `functools.wraps` of `send` on every request (copying
        # the function's attributes was most of the middleware's own time in a profile).
        async def wrapped_send(message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                request_span["status_code"] = message["status"]
            elif kind == "http.response.body":
                end = time.perf_counter()
                request_span["duration"] = end - request_span["start_time"]
                request_span["end_time"] = end
            await send(message)

        return wrapped_send


def middleware(metrics: Metrics) -> DefineMiddleware:
    """The middleware for `Litestar(middleware=[...])`. The labels are those `Metrics` declares
    for the `http_*` series: method, path (the route template), status_code, app_name."""
    config = PrometheusConfig(app_name="lpse-helpdesk", group_path=True,
                              exclude=["^/metrics$"])  # the scrape itself is no user request
    return DefineMiddleware(_RuntimeMetricsMiddleware, config=config, metrics=metrics)
