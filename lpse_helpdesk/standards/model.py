"""A unit's published service standard (Standar Pelayanan), as typed configuration.

One `<tenant>.toml` file per LPSE unit (shipped in `standards/data/`). msgspec checks the shape
(types, enums, ranges, unknown keys) when the file is converted; `validation.problems` then
checks what types cannot express (time zones, HH:MM intervals, the three categories, the
escalation chain), collecting every problem so one `standards check` run shows them all.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, NamedTuple, get_args
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from .mailconf import MailSettings

Channel = Literal["web", "email", "phone", "walk_in", "api"]
ReporterField = Literal[
    "name", "email", "phone", "organization", "id_card", "company_npwp",
    "director_id_card", "request_letter", "company_documents", "screenshot",
]
CategoryId = Literal["gangguan", "permasalahan", "permintaan_layanan"]
TierId = Literal["helpdesk", "koordinator", "admin_ppe", "lkpp"]
# Staff roles that can act on a ticket or watch it (Kepala Unit monitors, never holds a tier).
StaffRole = Literal["helpdesk", "koordinator", "admin_ppe", "kepala_unit", "lkpp"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TimeUnit = Literal["minutes", "hours", "working_days"]
Clock = Literal["business", "calendar"]

CHANNELS: tuple[str, ...] = get_args(Channel)
CATEGORY_IDS: tuple[str, ...] = get_args(CategoryId)
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
# The chain starts at the unit's Helpdesk; Koordinator and Admin PPE follow in the order the
# unit's procedure names them (one, both or neither); LKPP, outside the deployment, is always last.
FIRST_TIER, OUTSIDE_TIER = "helpdesk", "lkpp"

Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Text = Annotated[str, Meta(max_length=500)]
Label = Annotated[str, Meta(min_length=1, max_length=100)]
ClockTime = Annotated[str, Meta(min_length=1, max_length=5)]  # "HH:MM", parsed in validation


class Problem(NamedTuple):
    """One validation finding: the key path (``categories[1].resolution.unit``) and what is wrong."""

    path: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        head = f"{self.file}: " if self.file else ""
        return f"{head}{self.path}: {self.message}" if self.path else f"{head}{self.message}"


class StandardError(ValueError):
    """A standard file is unreadable or invalid; `problems` lists every finding."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Base(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """frozen and forbid_unknown_fields are inherited; kw_only is not, so each subclass repeats it."""


class Target(_Base, kw_only=True):
    """A time target: `{ amount = 3, unit = "working_days", clock = "business" }`.

    ``business`` counts only working time in the unit's calendar; ``calendar`` counts wall-clock
    time (the seeds' "3x24 jam"). Working days only make sense on the business clock.
    """

    amount: Annotated[int, Meta(ge=1, le=10_000)]
    unit: TimeUnit
    clock: Clock = "business"

    def __post_init__(self) -> None:
        # Raised here, msgspec reports it with the key path like any type error.
        if self.unit == "working_days" and self.clock == "calendar":
            raise ValueError("working_days count on clock = 'business'; for wall-clock time such as "
                             "3x24 jam use unit = 'hours' with clock = 'calendar'")

    def as_timedelta(self) -> dt.timedelta | None:
        """The duration for minutes/hours (of working time when ``clock`` is business).

        None for working days: their length depends on the calendar (holidays, work hours).
        """
        if self.unit == "minutes":
            return dt.timedelta(minutes=self.amount)
        if self.unit == "hours":
            return dt.timedelta(hours=self.amount)
        return None

    def describe(self) -> str:
        """Indonesian wording for portals and mails, e.g. "3 hari kerja", "72 jam"."""
        if self.unit == "working_days":
            return f"{self.amount} hari kerja"
        word = "menit" if self.unit == "minutes" else "jam"
        return f"{self.amount} {word} kerja" if self.clock == "business" else f"{self.amount} {word}"


class Contacts(_Base, kw_only=True):
    address: Text = ""
    phone: Text = ""
    website: Text = ""
    helpdesk_phone: Text = ""


class Calendar(_Base, kw_only=True):
    timezone: Annotated[str, Meta(min_length=1, max_length=64)]
    work_days: Annotated[tuple[Weekday, ...], Meta(min_length=1)]
    work_hours: Annotated[tuple[tuple[ClockTime, ClockTime], ...], Meta(min_length=1)]
    holidays: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")] = "ID"
    # "government" in the holidays package is Indonesia's cuti bersama (joint leave), which
    # government offices observe; units that stay open can drop it.
    holiday_categories: tuple[Annotated[str, Meta(min_length=1)], ...] = ("public", "government")
    extra_holidays: tuple[dt.date, ...] = ()

    def intervals(self) -> list[tuple[dt.time, dt.time]]:
        """Working-hour intervals as times; ValueError if one is not HH:MM."""
        result = []
        for pair in self.work_hours:
            start, end = (_parse_hhmm(t) for t in pair)
            if start is None or end is None:
                raise ValueError(f"work_hours {pair!r} is not HH:MM")
            result.append((start, end))
        return result

    def work_minutes_per_day(self) -> int:
        return sum((b.hour * 60 + b.minute) - (a.hour * 60 + a.minute) for a, b in self.intervals())

class Requirements(_Base, kw_only=True):
    """Reporter data required per channel (Persyaratan). Empty list: nothing beyond the question."""

    web: tuple[ReporterField, ...] = ()
    email: tuple[ReporterField, ...] = ()
    phone: tuple[ReporterField, ...] = ()
    walk_in: tuple[ReporterField, ...] = ()
    api: tuple[ReporterField, ...] = ()


FieldType = Literal["text", "number", "choice", "pattern"]
FieldName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class CustomField(_Base, kw_only=True):
    """A unit's own ticket field (LPSE Support's Aplikasi, Kode Error ...): the ticket carries it
    as `fields.<name>` = text. `number`: a decimal number; `choice`: one of `choices`;
    `pattern`: the whole value matches the regular expression `pattern` (e.g. an NPWP)."""

    name: FieldName
    label: Label
    type: FieldType = "text"
    choices: tuple[Label, ...] = ()
    pattern: Annotated[str, Meta(max_length=200)] = ""
    hint: Text = ""  # shown under the input, e.g. the expected format
    required: tuple[Channel, ...] = ()  # the channels on which it must be filled


class Category(_Base, kw_only=True):
    id: CategoryId
    label: Label
    first_response: Target
    resolution: Target


class Tier(_Base, kw_only=True):
    tier: TierId
    role: StaffRole  # who acts on (answers, closes, escalates) the ticket at this tier
    label: Label
    deadline: Target | None = None  # after this, the ticket may be auto-escalated to the next tier
    resolution_override: Target | None = None  # replaces the category's resolution target here
    # Desk assigns a ticket reaching this tier, with nobody of the tier on it, to the tier
    # role's active staff of the unit in turn (`services/desk/rotation.py`).
    round_robin: bool = False


class Attachments(_Base, kw_only=True):
    """What reporters may attach (screenshots are part of Basarnas's requirements)."""

    max_bytes: Annotated[int, Meta(ge=1, le=50_000_000)] = 5_000_000
    # Files per ticket or mail; the portal's API takes at most 10 (NewTicket.attachments).
    max_count: Annotated[int, Meta(ge=0, le=10)] = 10
    types: tuple[Annotated[str, Meta(pattern=r"^[a-z]+/[a-z0-9.+-]+$")], ...] = (
        "image/png", "image/jpeg", "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


class Notify(_Base, kw_only=True):
    """Where staff notifications go: a mailbox per role; roles not listed use helpdesk_email."""

    roles: dict[StaffRole, Email] = {}
    survey_url: Text = ""  # the SKM survey; empty: the portal's own survey page


class Webhook(_Base, kw_only=True):
    """A downstream system's subscription: the events (tags; empty = all) POSTed to `url`,
    signed with HMAC-SHA256 of the body under `secret` (header X-Helpdesk-Signature)."""

    url: Annotated[str, Meta(pattern=r"^https?://\S+$", max_length=500)]
    secret: Annotated[str, Meta(min_length=16, max_length=200)]
    events: tuple[Annotated[str, Meta(pattern=r"^ticket\.[a-z_]+$")], ...] = ()


class Faq(_Base, kw_only=True):
    publish: bool = False  # answers of closed tickets become FAQ drafts (Produk Pelayanan)


class Complaints(_Base, kw_only=True):
    """Pengaduan Layanan: where complaints, suggestions and input go."""

    address: Text = ""
    email: Annotated[str, Meta(max_length=254)] = ""
    phone: Text = ""
    web: Text = ""


class Privacy(_Base, kw_only=True):
    """UU PDP 27/2022: how long a closed ticket keeps its reporter's personal data. When the
    period has passed, the desk erases it (reason "retention"; docs/privacy.md)."""

    # Days after closing; 0: kept until erased on request. 1825 (five years) is our choice:
    # the seeds name no period.
    retention_days: Annotated[int, Meta(ge=0, le=36_500)] = 1825


class UnitStandard(_Base, kw_only=True):
    tenant: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
    name: Label
    organization: Text = ""
    sk_number: Text = ""  # "No. SK" of the decree that publishes the standard, when given
    number_prefix: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
    helpdesk_email: Email
    monitor_role: StaffRole
    channels: Annotated[tuple[Channel, ...], Meta(min_length=1)]
    reopen_window: Target
    contacts: Contacts = Contacts()
    calendar: Calendar
    requirements: Requirements = Requirements()
    fields: tuple[CustomField, ...] = ()  # the unit's own ticket fields, in form order
    categories: tuple[Category, ...]
    escalation: Annotated[tuple[Tier, ...], Meta(min_length=1)]
    faq: Faq = Faq()
    complaints: Complaints = Complaints()
    attachments: Attachments = Attachments()
    notify: Notify = Notify()
    webhooks: tuple[Webhook, ...] = ()
    mail: MailSettings = MailSettings()  # sending as the unit, its mailboxes (mailconf.py)
    privacy: Privacy = Privacy()  # retention of reporters' personal data

    def mailbox(self, role: str) -> str:
        return self.notify.roles.get(role, self.helpdesk_email)  # type: ignore[call-overload]

    # -- helpers used by the services ------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    def category(self, id: str) -> Category:
        for category in self.categories:
            if category.id == id:
                return category
        raise KeyError(f"{self.tenant}: unknown category {id!r}")

    def tier(self, tier: str) -> Tier:
        for entry in self.escalation:
            if entry.tier == tier:
                return entry
        raise KeyError(f"{self.tenant}: tier {tier!r} is not in the escalation chain")

    def tier_after(self, tier: str) -> str | None:
        """The next tier up the chain, None at the top; KeyError if `tier` is not in the chain."""
        i = self.escalation.index(self.tier(tier))
        return self.escalation[i + 1].tier if i + 1 < len(self.escalation) else None

    def accepts(self, channel: str) -> bool:
        return channel in self.channels

    def required_fields(self, channel: str) -> list[str]:
        if channel not in CHANNELS:
            raise KeyError(f"unknown channel {channel!r}")
        return list(getattr(self.requirements, channel))


def _parse_hhmm(text: str) -> dt.time | None:
    match = _HHMM.fullmatch(text)
    return dt.time(int(match[1]), int(match[2])) if match else None
