"""triage: classification (Gangguan / Permasalahan / Permintaan Layanan) and SLA due times
(owns classified)."""

from ...platform.erasure_consumer import dead_letter_scrub
from ...platform.service import ConsumerSpec, ServiceDefinition
from ...schemas import subject_filter
from ...schemas.events import TicketReceived
from .application import TABLES, TriageService
from .http import routes


def consumers(app: TriageService) -> list[ConsumerSpec]:
    # Inline: classifying is quick and waits for nothing, and it is what a reporter waits on.
    return [ConsumerSpec("triage", tuple(subject_filter((TicketReceived,))), app.on_received,
                         inline=True), dead_letter_scrub("triage", app.store, inline=True)]


SERVICE = ServiceDefinition(
    name="triage", build=TriageService, tables=TABLES, consumers=consumers, routes=routes
)
