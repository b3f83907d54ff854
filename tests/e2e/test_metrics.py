"""/metrics shows what people see: requests per route, mail and webhook outcomes, the lag from an
event to each consumer's commit, and the running version."""

from __future__ import annotations

from importlib.metadata import version

from prometheus_client.parser import text_string_to_metric_families

from conftest import eventually, make_settings, running_helpdesk
from test_webhooks import Receiver, with_hook

REFUSED = "tidak.ada@contoh.co.id"
CONSUMERS = ("desk-view", "triage", "notify")


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, labels) -> value of a /metrics page."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(page: dict, name: str, **labels) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in page.items() if n == name and wanted <= ls)


async def test_metrics_show_requests_deliveries_lag_and_version(tmp_path, nats_server, sink):
    sink.refused.add(REFUSED)
    receiver = Receiver(failures=1)
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    try:
        async with running_helpdesk(settings, standards=with_hook(receiver.url, ())) as hd:
            hd.runtime.service("notify").app.base_delay = 0.1
            first = (await hd.post_ticket("batam")).json()
            await hd.post_ticket("batam", reporter={"name": "Siti", "email": REFUSED})
            await eventually(lambda: hd.ticket(first), what="tiket terlihat oleh pelapor")
            for _ in range(3):
                assert await hd.ticket(first) is not None
            assert (await hd.http.get("/api/v1/tickets/BTM-TIDAK-ADA",
                                      params={"token": "x"})).status_code in (401, 403, 404)
            assert (await hd.http.get("/tidak-ada-rute-ini")).status_code == 404

            async def page():
                return samples((await hd.http.get("/metrics")).text)

            def delivered(p):
                return (value(p, "helpdesk_notifications_total", channel="webhook", outcome="sent")
                        >= 2 and value(p, "helpdesk_notifications_total", channel="email",
                                       outcome="failed") >= 1
                        and value(p, "helpdesk_notifications_total", channel="email",
                                  outcome="sent") >= 3
                        and all(value(p, "helpdesk_event_to_commit_seconds_count",
                                      consumer=name) >= 2 for name in CONSUMERS))

            p = await eventually(lambda: _when(page, delivered), timeout=30,
                                 what="pengiriman surat dan webhook tercatat di /metrics")
    finally:
        receiver.close()

    # Requests per route template: the two ticket reads share one series, unknown paths none.
    template = "/api/v1/tickets/{number}"
    reads = {dict(ls)["status_code"]: v for (n, ls), v in p.items()
             if n == "helpdesk_http_requests_total" and dict(ls).get("path") == template}
    assert reads.get("200", 0) >= 4 and len(reads) >= 2, reads  # the refused read too
    paths = {dict(ls)["path"] for (n, ls), _ in p.items() if n == "helpdesk_http_requests_total"}
    assert not any(first["number"] in path or "TIDAK" in path or "tidak-ada" in path
                   for path in paths), paths
    assert value(p, "helpdesk_http_requests_total", method="POST", path="/api/v1/tickets",
                 status_code="201") == 2
    assert "/metrics" not in paths  # the scrape is not counted as a request
    durations = value(p, "helpdesk_http_request_duration_seconds_count", path=template)
    assert durations == sum(reads.values())
    assert 0 < value(p, "helpdesk_http_request_duration_seconds_sum", path=template) < 20

    # Mail: the refused reporter's receipt failed for good (a bounce); the others were sent.
    assert value(p, "helpdesk_notifications_total", channel="email", outcome="sent") >= 3
    assert value(p, "helpdesk_notifications_total", channel="email", outcome="failed") >= 1
    assert len(sink.messages) >= value(p, "helpdesk_notifications_total", channel="email",
                                       outcome="sent")
    # Webhooks: the receiver refused the first POST (retried), then took both tickets' events.
    assert value(p, "helpdesk_notifications_total", channel="webhook", outcome="pending") == 1
    assert 2 <= value(p, "helpdesk_notifications_total", channel="webhook", outcome="sent") <= \
        len(receiver.accepted)

    # Lag to each consumer's commit: observed for the read models, short on an idle helpdesk.
    for consumer in CONSUMERS:
        count = value(p, "helpdesk_event_to_commit_seconds_count", consumer=consumer)
        total = value(p, "helpdesk_event_to_commit_seconds_sum", consumer=consumer)
        within = value(p, "helpdesk_event_to_commit_seconds_bucket", consumer=consumer, le="10.0")
        assert 0 <= total / count < 10 and within == count, (consumer, count, total)

    assert value(p, "helpdesk_build_info", version=version("lpse-helpdesk")) == 1


async def _when(page, check):
    p = await page()
    return p if check(p) else None
