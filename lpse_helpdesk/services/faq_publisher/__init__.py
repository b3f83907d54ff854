"""faq_publisher: closed tickets flagged as publishable become FAQ entries without leaking who
asked; the unit's reviewers publish them; the public FAQ is searchable (owns FAQ events)."""

from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import SUBJECT_PREFIX, subject_filter
from .application import TABLES, FaqService
from .http import routes


def consumers(app: FaqService) -> list[ConsumerSpec]:
    return [
        ConsumerSpec("faq-drafts", subject_filter()[0], app.on_ticket_event),
        ConsumerSpec("faq-view", f"{SUBJECT_PREFIX}.*.faq.>", app.on_faq_event,
                     rebuild_tables=("entries", "search")),
    ]


SERVICE = ServiceDefinition(
    name="faq_publisher", build=FaqService, tables=TABLES, consumers=consumers, routes=routes
)
