"""notify: mails to reporters and staff about their tickets (owns notification sent/failed).

Deciding and sending are apart. The consumer decides which mails an event causes and stores
them as rows together with its tracking record: a redelivered event decides nothing again.
A sender loop delivers stored mails over SMTP; a failure is retried with backoff (the mail
server may be down for a while), and every attempt's outcome is an event on the ticket's
timeline. A delivery is stored the moment the server has taken the mail, so a crash resends
at most the one mail in flight, and its stable Message-ID (derived from its row) lets a mail
server recognise that resend. Mails to reporters pass a guard first (limits.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

import aiosmtplib

from ...platform.consumer import Decision
from ...platform.observability import log_event
from ...platform.service import ServiceContext
from ...platform.store import IntegrityError, Stored, Write, from_utc_text, utc_text
from ...schemas import AnyTicketEvent, new_envelope, events as ev
from ...workflow import history
from ...workflow.state import fold_state
from . import limits, outgoing, privacy, stop, warnings, webhooks
from ...workflow.rules import acting_role
from .decisions import REPORTER_TEMPLATES, TARGET_LABELS, Planned, plan
from .mailer import Unreachable, bounced, permanent
from .messages import render

log = logging.getLogger("lpse_helpdesk.notify")
MAIL_NAMESPACE = uuid.UUID("6f1c1f4e-58a2-4d0e-9a53-0d6f2a7c9b11")
MAX_ATTEMPTS = 12
SEND_ROUND = 200  # mails per SMTP connection
PRUNE_EVERY = timedelta(minutes=10)  # how often the guard's old counts are dropped

TABLES = (
    *history.TABLES,
    *webhooks.TABLES,
    *warnings.TABLES,
    *limits.TABLES,
    "CREATE TABLE IF NOT EXISTS {p}_mails ("
    " id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL, tenant TEXT NOT NULL, template TEXT NOT NULL,"
    " recipient TEXT NOT NULL, subject TEXT NOT NULL, text_body TEXT NOT NULL,"
    " html_body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,"
    " next_attempt_at TEXT NOT NULL, last_error TEXT, sent_at TEXT)",
    "CREATE INDEX IF NOT EXISTS {n}_mails_due ON {p}_mails (status, next_attempt_at)",
    # The reporter's first mail for a ticket that came by mail: the root its mails thread under.
    "CREATE TABLE IF NOT EXISTS {p}_mail_threads (ticket_id TEXT PRIMARY KEY,"
    " number TEXT NOT NULL, first_message_id TEXT NOT NULL)",
)


class NotifyService:
    def __init__(self, ctx: ServiceContext):
        self.store, self.standards, self.now = ctx.store, ctx.standards, ctx.now
        self.settings, self.signer = ctx.settings, ctx.signer
        self.public_url = (ctx.settings.public_url
                           or f"http://{ctx.settings.http_host}:{ctx.settings.http_port}")
        self.interval, self.base_delay = 0.5, 1.0
        self.webhook_attempts = webhooks.MAX_ATTEMPTS
        self._pruned_at = None
        self.metrics = None  # the runtime's Metrics, when it runs here: delivery outcomes

    # --- deciding ----------------------------------------------------------------------------
    def on_event(self, event: AnyTicketEvent, stream_seq: int) -> Decision:
        events = history.including(history.load(self.store, event.ticket_id).events, event)
        writes = [history.append(self.store, event, stream_seq)]
        state, standard = fold_state(events), self.standards.get(event.tenant)
        if privacy.erased(events):  # no more mail about it; its copies go (privacy.py)
            hooks = (webhooks.deliveries(self.store, event, standard, utc_text(self.now()))
                     if standard is not None else [])  # the erasure reaches downstream too
            return Decision(writes=writes + hooks + privacy.scrub(self.store, event))
        if state is None or standard is None:
            return Decision(writes=writes)
        writes += webhooks.deliveries(self.store, event, standard, utc_text(self.now()))
        writes += warnings.watch(self.store, events, standard, state.received.occurred_at)
        number = state.received.number
        token = self.signer.reporter_token(event.ticket_id, state.received.access_token_sha256)
        # The portal's status page: the reporter reads, replies, confirms and rates there.
        status_url = f"{self.public_url}/portal/status?nomor={number}&token={token}"
        survey_url = standard.notify.survey_url or f"{status_url}#survei"
        if isinstance(event, ev.TicketReceived):
            writes.append(Write(f"INSERT INTO {self.store.prefix}_mail_threads VALUES (?, ?, ?)"
                                " ON CONFLICT DO NOTHING",
                                (str(event.ticket_id), number, event.message_id)))
        staff_url = f"{self.public_url}/staf/tiket/{number}"
        for mail in plan(event, state, standard, status_url, survey_url, staff_url):
            writes.append(self._mail_row(f"{event.event_id}", event.ticket_id, event.tenant, mail))
        return Decision(writes=writes)

    def _mail_row(self, cause: str, ticket_id, tenant: str, mail) -> Write:
        """A mail to send; its id (and Message-ID) is derived from what caused it."""
        subject, text, html = render(mail.template, mail.context)
        mail_id = uuid.uuid5(MAIL_NAMESPACE, f"{cause}:{mail.template}:{mail.recipient}")
        return Write(
            f"INSERT INTO {self.store.prefix}_mails VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0,"
            " ?, NULL, NULL) ON CONFLICT DO NOTHING",
            (str(mail_id), str(ticket_id), tenant, mail.template, mail.recipient, subject, text,
             html, utc_text(self.now())),
        )

    def decide_warnings(self) -> int:
        """Mails for every clock whose warning time has come (once per due time)."""
        count = 0
        for ticket_id, target, tenant, tier, due_at in warnings.due_warnings(
                self.store, utc_text(self.now())):
            standard = self.standards.get(tenant)
            state = fold_state(history.load(self.store, uuid.UUID(ticket_id)).events)
            if standard is None or state is None:
                continue
            due = from_utc_text(due_at)
            mail = Planned("staff_warning", standard.mailbox(acting_role(standard, state)), {
                "unit": standard, "number": state.received.number,
                "subject_line": state.received.subject, "tier": tier,
                "target_label": TARGET_LABELS[target],
                "staff_url": f"{self.public_url}/staf/tiket/{state.received.number}",
                "due_at": due.astimezone(standard.zone).strftime("%d-%m-%Y %H:%M")})
            try:
                self.store.execute([self._mail_row(f"warning:{ticket_id}:{target}:{due_at}",
                                                   ticket_id, tenant, mail),
                                    warnings.warned(self.store, ticket_id, target, due_at)])
            except IntegrityError:
                continue  # another replica warned first
            count += 1
        return count

    # --- sending -----------------------------------------------------------------------------
    async def run_sender(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.send_due()
            except Exception as exc:  # noqa: BLE001 - a busy database: next round
                log_event(log, "pengirim surat gagal; dicoba lagi", logging.WARNING, error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass

    async def send_due(self) -> int:
        await asyncio.to_thread(self.decide_warnings)
        sent = await self.post_due_webhooks()
        routes = outgoing.routes(self.standards, self.settings.smtp_url)
        if not routes:  # no mail server: mails wait, visible as pending
            return sent
        await asyncio.to_thread(self._tidy)
        for key, tenants in routes.items():
            while True:  # rounds until nothing is due: a full round means more are waiting
                rows = await asyncio.to_thread(outgoing.due, self.store, tenants,
                                               utc_text(self.now()), SEND_ROUND)
                sent += await self._deliver_round(rows, key)
                if len(rows) < SEND_ROUND:
                    break
        return sent

    async def post_due_webhooks(self) -> int:
        return await webhooks.post_due(self)

    def _backoff(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.base_delay * 2 ** (attempt - 1), 600))

    async def _deliver_round(self, rows, route: str = outgoing.HELPDESK) -> int:
        """Send a round of mails over one SMTP connection. Each delivery is committed (its row
        only: a small write) before the next mail's DATA, so a crash resends at most the one
        mail in flight; that commit runs while the next envelope is sent, and the round's
        timeline events follow in one transaction. Mails the guard holds back are recorded
        as not sent, with the reason."""
        gate = await asyncio.to_thread(limits.load, self.store,
                                       self.settings.reporter_mails_per_hour,
                                       [row[4] for row in rows], self.now())
        outcomes, unreachable, storing = [], None, None
        try:
            mailer = outgoing.mailer_for(route, self.standards, self.settings.smtp_url)
        except LookupError as exc:  # the unit's password is not where its standard says
            mailer, unreachable = None, f"sandi server kirim unit: {exc}"
        try:
            async with contextlib.nullcontext() if mailer is None else mailer:
                for row in rows:
                    mail_id, ticket_id, tenant, template, recipient, *body, attempts = row[:9]
                    mail, attempt = (mail_id, ticket_id, tenant, template, recipient), attempts + 1
                    if unreachable is not None:  # nothing more is tried in this round
                        outcomes.append((*mail, attempt, unreachable, *self._retry(attempt)))
                        continue
                    reason = gate.reason(template, recipient)
                    if reason is not None:
                        log_event(log, "surat ditahan", recipient=recipient, reason=reason)
                        outcomes.append((*mail, attempts, reason, "suppressed", None))
                        continue
                    message = outgoing.compose(
                        mail_id, self.standards[tenant], recipient, *body,
                        outgoing.Thread(*row[9:11]), self.settings, self.public_url,
                        stop.link(self.signer, self.public_url, recipient)
                        if template in REPORTER_TEMPLATES else None)
                    try:
                        await mailer.envelope(message)
                        if storing is not None:  # the mail before is stored: only now this one
                            storing, done = None, storing
                            await done
                        await mailer.deliver(message)
                    except Unreachable as exc:
                        unreachable = str(exc)
                        outcomes.append((*mail, attempt, unreachable, *self._retry(attempt)))
                        continue
                    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                        outcomes.append(self._refused(mail, attempt, exc, gate))
                        continue
                    gate.count(template, recipient)
                    storing = asyncio.ensure_future(asyncio.to_thread(
                        self._delivered, mail_id, template, recipient, attempt))
                    outcomes.append((*mail, attempt, None, "sent", None))
        finally:
            if storing is not None:
                await storing
        await asyncio.to_thread(self._record_outcomes, outcomes)
        return sum(outcome[6] is None for outcome in outcomes)

    def _refused(self, mail: tuple, attempt: int, exc: BaseException, gate: limits.Gate):
        """The outcome of a mail the server refused: retried later unless the refusal is
        permanent; a bounce also stops every later mail to that reporter."""
        error, extra, recipient = str(exc) or type(exc).__name__, [], mail[4]
        if bounced(exc):
            extra = [limits.bounced(self.store, recipient, error, self.now(), mail[0])]
            gate.bounced.add(limits.bounce_key(recipient))
        status, delay = ("failed", None) if permanent(exc) else self._retry(attempt)
        return (*mail, attempt, error, status, delay, "email", extra)

    def _delivered(self, mail_id: str, template: str, recipient: str, attempt: int) -> None:
        """The server has the mail: never send it again (and count it for the guard). Rows
        only, with executemany: the lightest commit the store has, paid once per mail."""
        now = self.now()
        writes = [Write(f"UPDATE {self.store.prefix}_mails SET status = 'delivered',"
                        " attempts = ?, sent_at = ? WHERE id = ?", (attempt, utc_text(now), mail_id)),
                  *limits.sent(self.store, template, recipient, now, mail_id)]
        self.store.execute_many([(w.sql, [w.params]) for w in writes])

    def _tidy(self) -> None:
        """Deliveries a crash left without their timeline events get them now; the guard's
        old counts go every few minutes."""
        self._record_outcomes([(*row, None, "sent", None) for row in self.store.query(
            f"SELECT id, ticket_id, tenant, template, recipient, attempts FROM"
            f" {self.store.prefix}_mails WHERE status = 'delivered'")])
        if self._pruned_at is None or self.now() - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = self.now()
            limits.prune(self.store, self._pruned_at)

    def _retry(self, attempt: int) -> tuple[str, timedelta]:
        return ("pending" if attempt < MAX_ATTEMPTS else "failed"), self._backoff(attempt)

    def _record_outcomes(self, outcomes) -> None:
        """A round's outcomes in one `record` (one put, not a put and savepoint per mail)."""
        if not outcomes:
            return
        for _ in range(5):  # our own events on the tickets: retry on a version race
            stored, writes, versions = [], [], {}
            for outcome in outcomes:
                event, update, extra = self._outcome(*outcome)
                version = versions.get(event.ticket_id) or self.store.next_version(event.ticket_id)
                versions[event.ticket_id] = version + 1  # the ticket's next one in this round
                stored.append(Stored(event, event.ticket_id, version))
                writes += [update, *extra]
            try:
                self.store.record(stored, writes=writes)
            except IntegrityError:
                continue
            for outcome in outcomes if self.metrics is not None else ():
                self.metrics.notifications.labels(*(outcome[9:10] or ("email",)), outcome[7]).inc()
            return
        raise RuntimeError(f"hasil pengiriman {outcomes[0][0]} dst. tidak tercatat")

    def _record_outcome(self, *outcome) -> None:
        self._record_outcomes([outcome])

    def _outcome(self, row_id, ticket_id, tenant, template, recipient, attempt, error,
                 status, delay, channel="email", extra=()) -> tuple:
        """The attempt's event on the ticket's timeline and the row's new state (and the
        guard's `extra` rows), recorded together."""
        ticket = uuid.UUID(ticket_id)
        envelope = new_envelope(ticket, tenant, self.now())
        table = f"{self.store.prefix}_{'mails' if channel == 'email' else 'webhooks'}"
        done = "sent_at" if channel == "email" else "delivered_at"
        if error is None:
            event = ev.NotificationSent(**envelope, channel=channel, recipient=recipient[:200],
                                        template=template, attempt=attempt)
            update = Write(f"UPDATE {table} SET status = 'sent', attempts = ?, {done} ="
                           f" COALESCE({done}, ?), last_error = NULL WHERE id = ?",
                           (attempt, utc_text(self.now()), row_id))
        else:
            event = ev.NotificationFailed(**envelope, channel=channel, recipient=recipient[:200],
                                          template=template, attempt=attempt, error=error[:2000],
                                          will_retry=status == "pending")
            update = Write(f"UPDATE {table} SET status = ?, attempts = ?, next_attempt_at = ?,"
                           " last_error = ? WHERE id = ?",
                           (status, attempt, utc_text(self.now() + (delay or timedelta())),
                            error[:2000], row_id))
        return event, update, extra
