"""The helpdesk's services run offline for `bench --history`'s fast fill (`benchpast.py`), with
the bus played in this process: what the stores, the stream and the consumers would hold after
the same actions taken by people over the years, made before the helpdesk starts.

Every service is built as `up` builds it (`bootstrap.build_service`, the same signer and keys),
but without a broker, so no decision guard (nobody else acts meanwhile) and a clock the fill
sets (`Clock`). The bus is played here (`drain`): each store's new events, in order of their
times, get the next stream sequences and go to every tracked consumer whose subject filter
takes them, through the platform's own `TrackedConsumer` (decode, handler, tracking row, one
transaction per consumer and round); what the handlers decide is the next round. Mails are
delivered as notify's sender records a delivery, without SMTP (`deliver_mails`).

At the end (`publish`): each relay's position is set to its store's end; the stream gets the
events that its max age would still hold, under the same sequences the consumers tracked
(older ones are purged, as the max age would have dropped them); every durable consumer starts
after the last. So when the helpdesk starts, nothing of the history is relayed or handled again.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from .benchdesk import DeskBulk
from .schemas import decode_event, subject_for
from .schemas.codec import headers_for

HANDLER_DELAY = timedelta(milliseconds=400)  # a consumer's decision after the event it handles
SENDER_DELAY = timedelta(seconds=2)  # a mail's delivery after it was decided
SERVICES = ("intake", "triage", "escalation", "desk", "notify", "faq_publisher")


class Clock:
    """The services' `now`: set by the fill before each action and each handled event."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def matcher(filters: list[str]) -> Callable[[str], bool]:
    """NATS subject filter matching (`*` one token, `>` the rest) as one regular expression."""
    parts = []
    for f in filters:
        tokens = [("[^.]+" if t == "*" else ".+" if t == ">" else re.escape(t))
                  for t in f.split(".")]
        parts.append(r"\.".join(tokens))
    return re.compile("(?:" + "|".join(parts) + r")\Z").match


class OfflineHelpdesk:
    """The services on their stores, offline, with the bus played in this process."""

    def __init__(self, settings, standards, clock: Clock, stream_last: int, keep_after: datetime):
        from .bootstrap import build_service, use_keystore
        from .platform.auth import TokenSigner, load_secret
        from .platform.consumer import TrackedConsumer
        from .platform.outbox import published_position
        from .services import definition

        use_keystore(settings)
        self.settings, self.clock = settings, clock
        signer = TokenSigner(load_secret(settings))
        self.built = {name: build_service(definition(name), settings, standards, now=clock,
                                          signer=signer) for name in SERVICES}
        for built in self.built.values():
            _unsynced(built.store)
        self.consumers, self.specs = [], []
        for name, built in self.built.items():
            for spec in built.definition.consumers(built.app):
                tracked = TrackedConsumer(spec.name, spec.subject, self._timed(spec.handler),
                                          built.store, settings)
                takes = matcher(tracked.subjects)
                if spec.bulk is not None:  # desk's view: its bulk projection (`benchdesk.py`)
                    tracked = DeskBulk(tracked, spec, built.store)
                self.consumers.append((tracked, takes, name))
                self.specs.append(spec)
        # Where each relay is: events after it are the bus's to carry.
        self.read = {name: published_position(b.store) for name, b in self.built.items()}
        self.seq = stream_last  # the stream's last sequence so far
        self.keep_after = keep_after  # events at or after it stay in the stream
        self.kept: list[tuple[str, bytes, str]] = []  # (subject, body, event id) to publish
        self.first_kept = 0  # the stream sequence of kept[0]
        self.events = 0
        self.seconds: dict[str, float] = {}  # where the fill's time went, by consumer or step

    def app(self, name: str):
        return self.built[name].app

    def store(self, name: str):
        return self.built[name].store

    def _timed(self, handler):
        def handle(event, seq):
            self.clock.at = event.occurred_at + HANDLER_DELAY
            return handler(event, seq)
        return handle

    @contextlib.contextmanager
    def one_commit(self):
        """Every store's writes and reads of this thread in one transaction each (their
        `batch`, which the consumers' and services' own batches join): a commit per store
        instead of one per consumer round."""
        with contextlib.ExitStack() as stack:
            for built in self.built.values():
                stack.enter_context(built.store.batch())
            yield

    # --- the bus ------------------------------------------------------------------------------
    def _new_events(self, names) -> list[tuple]:
        found = []
        for name in names:
            page = [None] * 2000
            while len(page) == 2000:  # a shorter page was the last
                page = self.built[name].store.notifications(self.read[name], 2000)
                if page:
                    self.read[name] = page[-1].id
                for n in page:
                    event = decode_event(n.state)
                    found.append((event.occurred_at, event, n.state))
        found.sort(key=lambda item: item[0])  # the stream's order: as they happened
        return found

    def drain(self) -> int:
        """Carry every new event to its consumers, round after round, until none is new."""
        carried, names = 0, self.built  # first every store; then those a consumer wrote to
        while True:
            found = self._new_events(names)
            names = set()
            if not found:
                return carried
            items = []
            for at, event, body in found:
                self.seq += 1
                subject = subject_for(event)
                items.append((subject, body, self.seq, 1))
                if self.kept or at >= self.keep_after:
                    if not self.kept:
                        self.first_kept = self.seq
                    self.kept.append((subject, body, str(event.event_id), headers_for(event)))
            for tracked, takes, name in self.consumers:
                mine = [item for item in items if takes(item[0])]
                if not mine:
                    continue
                names.add(name)  # only a consumer's own store records what it decides
                started = time.perf_counter()
                outcomes = tracked._process_batch(mine)
                self.seconds[tracked.name] = (self.seconds.get(tracked.name, 0.0)
                                              + time.perf_counter() - started)
                bad = [(o[0], o[2]) for o in outcomes if o[0] != "done"]
                if bad:
                    raise RuntimeError(f"{tracked.name}: {bad[:3]}")
            carried += len(items)
            self.events += len(items)

    def deliver_mails(self) -> int:
        """Every pending mail delivered as notify's sender records it once the mail server has
        taken it (`_delivered`, then its `notification.sent`), without SMTP."""
        started = time.perf_counter()
        try:
            return self._deliver_mails()
        finally:
            self.seconds["mails"] = (self.seconds.get("mails", 0.0)
                                     + time.perf_counter() - started)

    def _deliver_mails(self) -> int:
        from .platform.store import from_utc_text

        notify = self.app("notify")
        store = notify.store
        rows = store.query(f"SELECT id, ticket_id, tenant, template, recipient, attempts,"
                           f" next_attempt_at FROM {store.prefix}_mails WHERE status = 'pending'"
                           " ORDER BY next_attempt_at")
        with store.batch():
            for mail_id, ticket_id, tenant, template, recipient, attempts, due in rows:
                self.clock.at = from_utc_text(due) + SENDER_DELAY
                notify._delivered(mail_id, template, recipient, attempts + 1)
                notify._record_outcome(mail_id, ticket_id, tenant, template, recipient,
                                       attempts + 1, None, "sent", None)
        return len(rows)

    def settle(self) -> None:
        """Until quiet: every event carried and every mail delivered."""
        while self.drain() or self.deliver_mails():
            pass

    # --- the end ------------------------------------------------------------------------------
    def finish_relays(self) -> None:
        """The bulk projections' last rows; each relay's position at its store's end: the bus
        has carried all of it."""
        from .platform.outbox import OutboxRelay

        for tracked, _, _ in self.consumers:
            if isinstance(tracked, DeskBulk):
                started = time.perf_counter()
                tracked.finish()
                self.seconds[tracked.name] = (self.seconds.get(tracked.name, 0.0)
                                              + time.perf_counter() - started)
        for name, built in self.built.items():
            OutboxRelay(built.store, publish=None).save_position(self.read[name])

    async def publish(self, broker) -> dict:
        """The stream's recent part under the sequences the consumers tracked, and every
        durable consumer starting after it."""
        from .platform.bus import publish_events
        from .platform.rebuild import reposition_consumer
        from .schemas import STREAM

        js = broker.connection.jetstream()
        state = (await js.stream_info(STREAM)).state
        if self.kept and state.messages == 0 and self.first_kept > state.last_seq + 1:
            await js.purge_stream(STREAM, seq=self.first_kept)  # as the max age drops them
        elif self.kept and self.first_kept != state.last_seq + 1:
            raise RuntimeError("stream tidak kosong / the stream is not empty: cannot keep the"
                               " history's sequences")
        for start in range(0, len(self.kept), 1000):
            await publish_events(broker, self.kept[start:start + 1000], timeout=60)
        last = (await js.stream_info(STREAM)).state.last_seq
        if last != self.seq:
            raise RuntimeError(f"stream berakhir di {last}, riwayat di {self.seq}")
        for spec in self.specs:
            await reposition_consumer(broker.connection, spec, self.seq + 1)
        return {"stream_last_seq": last, "stream_kept": len(self.kept)}

    def close(self) -> None:
        for built in self.built.values():
            built.store.close()


def _unsynced(store) -> None:
    """SQLite commits of the fill without waiting for the disk (`synchronous=OFF`; the files
    are closed, so written out, before the helpdesk starts): a fill that stops half way is
    made again from the start anyway, and each commit's fsync (a few ms here) was most of its
    time. The data written is the same. PostgreSQL stores are left as they are."""
    if store.is_postgres:
        return
    pool = store.backend.datastore.pool
    create = pool._create_connection

    def created():
        connection = create()
        connection._sqlite_conn.execute("PRAGMA synchronous=OFF")
        return connection

    pool._create_connection = created
    for connection in list(pool._pool):
        connection._sqlite_conn.execute("PRAGMA synchronous=OFF")


async def stream_ready(settings):
    """A connected broker with the TICKETS stream as the runtime makes it."""
    from .platform.bus import ensure_stream, make_broker

    broker = make_broker(settings.nats_url)
    await broker.connect()
    await ensure_stream(broker, settings.stream_replicas, settings.stream_max_age_days,
                        settings.stream_max_bytes)
    return broker
