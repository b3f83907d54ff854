"""faq_publisher: closed tickets flagged as publishable become FAQ entries without leaking who
asked; the unit's reviewers publish them; the public FAQ is searchable (owns FAQ events)."""

from ...platform.service import ConsumerSpec, ServiceContext, ServiceDefinition
from ...schemas import SUBJECT_PREFIX, subject_filter
from ...schemas import events as ev
from .application import TABLES, FaqService
from .http import public_base, routes

# What `on_ticket_event` reads: a close (which may become a draft), and from the ticket's
# history only the report (question, reporter to scrub) and its category (classified).
# And the erasure of the reporter's data, which scrubs a draft made from the ticket.
DRAFT_EVENTS = (ev.TicketReceived, ev.TicketClassified, ev.TicketClosed, ev.PersonalDataErased)


def consumers(app: FaqService) -> list[ConsumerSpec]:
    return [
        ConsumerSpec("faq-drafts", tuple(subject_filter(DRAFT_EVENTS)), app.on_ticket_event),
        ConsumerSpec("faq-view", f"{SUBJECT_PREFIX}.*.faq.>", app.on_faq_event,
                     rebuild_tables=("entries", "search")),
    ]


def build(ctx: ServiceContext) -> FaqService:
    app = FaqService(ctx)
    app.public_url = public_base(ctx.settings)  # the feed's links (http.py)
    return app


SERVICE = ServiceDefinition(
    name="faq_publisher", build=build, tables=TABLES, consumers=consumers, routes=routes
)
