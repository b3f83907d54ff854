"""notify: emails and webhooks to reporters, staff and downstream systems. Its decisions arrive with issue 6; today it runs its store and outbox."""

from ...platform.service import ServiceDefinition
from .application import NotifyService

SERVICE = ServiceDefinition(name="notify", build=NotifyService)
