"""FAQ entry events (owned by faq_publisher): answered questions published for a unit.

Their envelope names the entry, not a ticket; they travel on `helpdesk.<tenant>.faq.<entry>.*`
in the same stream. A draft is built from scrubbed text, but the scrubber cannot know every word
of a reporter's that identifies them: a draft's question and answer are sealed with its source
ticket's key (sealing.py), so erasing the ticket forgets them. The text a reviewer publishes is
carried in clear by `faq.published`: reviewed text stays readable after the erase.
`removed` says only what kinds of data were taken out and how many.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from .events import Actor, Category, Envelope, LongText

Question = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class FaqEvent(Envelope, frozen=True, kw_only=True):
    """The envelope of an FAQ entry's events: the entry they belong to."""

    entry_id: uuid.UUID


class FaqDrafted(FaqEvent, frozen=True, kw_only=True, tag="faq.drafted"):
    source_ticket_id: uuid.UUID
    category: Category | None = None
    question: Question
    answer: LongText
    removed: dict[str, int] = {}  # e.g. {"email": 1, "NIK": 1}: what the scrubber took out
    similar: list[uuid.UUID] = []  # published entries asking nearly the same


class FaqEdited(FaqEvent, frozen=True, kw_only=True, tag="faq.edited"):
    question: Question
    answer: LongText
    actor: Actor


class FaqPublished(FaqEvent, frozen=True, kw_only=True, tag="faq.published"):
    actor: Actor
    # The text the reviewer published ("" in events written before drafts were sealed: the
    # draft's or the last edit's text stands).
    question: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    answer: LongText = ""


class FaqRejected(FaqEvent, frozen=True, kw_only=True, tag="faq.rejected"):
    reason: LongText = ""
    actor: Actor


class FaqRetracted(FaqEvent, frozen=True, kw_only=True, tag="faq.retracted"):
    reason: LongText = ""
    actor: Actor


class FaqMerged(FaqEvent, frozen=True, kw_only=True, tag="faq.merged"):
    """A draft folded into an entry that already answers it: the entry counts one more asker."""

    into: uuid.UUID
    actor: Actor


FAQ_EVENTS = (FaqDrafted, FaqEdited, FaqPublished, FaqRejected, FaqRetracted, FaqMerged)
