"""Escalation's HTTP entrypoints: staff escalate a ticket to the next tier, and a tier answers
back down (`POST /api/v1/tickets/{number}/escalate` and `/answer`)."""

from __future__ import annotations

from ...platform.http import service_routes
from ...schemas.api import Escalate, Message
from ...workflow.http import actions_controller
from .application import EscalationService

EscalationActions = actions_controller("EscalationActions", {"escalate": Escalate,
                                                             "answer": Message})


def routes(service: EscalationService) -> list:
    return [service_routes(service, EscalationActions)]
