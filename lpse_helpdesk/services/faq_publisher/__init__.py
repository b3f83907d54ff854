"""faq_publisher: closed, publishable tickets become FAQ entries (owns FAQ drafted/published). Its decisions arrive with issue 7; today it runs its store and outbox."""

from ...platform.service import ServiceDefinition
from .application import FaqPublisherService

SERVICE = ServiceDefinition(name="faq_publisher", build=FaqPublisherService)
