"""A tracked consumer's subscriber against a real nats-server: what `TestNatsBroker` cannot
show (the durable consumer on the server, its filter, its loss)."""

from __future__ import annotations

import nats
from nats.js.errors import NotFoundError

from conftest import eventually, make_settings, running_helpdesk
from lpse_helpdesk.schemas import STREAM


def classified(runtime) -> int:
    return runtime.metrics.events_in.labels("triage", "triage", "done")._value.get()


async def test_a_deleted_durable_consumer_is_made_again_and_resumes(tmp_path, nats_server,
                                                                    standards):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["intake", "triage"]) as hd:
        await hd.post_ticket("batubara")
        await eventually(lambda: classified(hd.runtime) == 1, what="tiket pertama")
        nc = await nats.connect(nats_server.url)
        try:
            js = nc.jetstream()
            await js.delete_consumer(STREAM, "triage")  # an operator's mistake, or a rebuild
            await hd.post_ticket("batubara")
            # The subscriber makes the durable consumer again and hands on the new ticket
            # (the first one, replayed from the start, is skipped by its tracking row).
            await eventually(lambda: classified(hd.runtime) == 2, timeout=30,
                             what="tiket setelah consumer dihapus")
            info = await js.consumer_info(STREAM, "triage")
            assert info.config.durable_name == "triage"
        finally:
            await nc.close()


async def test_the_subscriber_binds_to_the_durable_consumer_with_its_filters(
        tmp_path, nats_server, standards):
    settings = make_settings(tmp_path, nats_server.url)
    async with running_helpdesk(settings, services=["escalation"]) as hd:
        [consumer] = [c for c in hd.runtime.service("escalation").consumers
                      if c.name == "escalation-sla"]
        nc = await nats.connect(nats_server.url)
        try:
            info = await nc.jetstream().consumer_info(STREAM, consumer.name)
        except NotFoundError:
            raise AssertionError("durable consumer tidak dibuat") from None
        finally:
            await nc.close()
        assert sorted(info.config.filter_subjects or []) == sorted(consumer.subjects)
        assert len(consumer.subjects) > 1  # several filters: `filter_subjects`
        assert info.config.ack_policy == "explicit"
