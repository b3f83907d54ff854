"""The rules of a unit standard beyond its types: names, calendar, categories, chain.

Each problem names its key, so `lpse-helpdesk standards check` can say file and key.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from .mailconf import problems as mail_problems

from .model import (
    CATEGORY_IDS,
    CHANNELS,
    FIRST_TIER,
    OUTSIDE_TIER,
    Calendar,
    Problem,
    Target,
    UnitStandard,
    _parse_hhmm,
)


def problems(self: UnitStandard, file_stem: str | None) -> Iterable[Problem]:
    """Every problem beyond types, each naming its key."""
    if file_stem is not None and file_stem != self.tenant:
        yield Problem("tenant", f"{self.tenant!r} does not match the file name: name the "
                      f"file {self.tenant}.toml or set tenant = {file_stem!r} "
                      "(tenant tidak sesuai nama file)")
    yield from _duplicates("channels", self.channels)
    yield from _calendar_problems(self.calendar)
    for channel in CHANNELS:
        fields = getattr(self.requirements, channel)
        if fields and channel not in self.channels:
            yield Problem(f"requirements.{channel}",
                          f"channel {channel!r} is not in channels (kanal tidak diterima unit ini)")
        yield from _duplicates(f"requirements.{channel}", fields)
    yield from _category_problems(self)
    yield from _field_problems(self)
    yield from _chain_problems(self)
    yield from (Problem(path, message) for path, message in mail_problems(self.mail))

def _category_problems(self: UnitStandard) -> Iterable[Problem]:
    ids = [c.id for c in self.categories]
    for cid in CATEGORY_IDS:
        if cid not in ids:
            yield Problem("categories", f"missing category {cid!r}; every unit defines exactly "
                          f"{', '.join(map(repr, CATEGORY_IDS))} (kategori wajib tidak ada)")
    seen: set[str] = set()
    for i, c in enumerate(self.categories):
        if c.id in seen:
            yield Problem(f"categories[{i}].id", f"duplicate category {c.id!r} (kategori ganda)")
        seen.add(c.id)
        if _slower(c.first_response, c.resolution, self.calendar):
            yield Problem(f"categories[{i}].first_response", "is longer than the resolution "
                          "target (respons pertama melebihi waktu penyelesaian)")

def _field_problems(self: UnitStandard) -> Iterable[Problem]:
    yield from _duplicates("fields", (f.name for f in self.fields))
    for i, f in enumerate(self.fields):
        path = f"fields[{i}]"
        if f.type == "choice" and not f.choices:
            yield Problem(f"{path}.choices", "a choice field needs choices (pilihan kosong)")
        if f.type != "choice" and f.choices:
            yield Problem(f"{path}.choices", f"only type 'choice' has choices, not {f.type!r} "
                          "(pilihan hanya untuk tipe choice)")
        yield from _duplicates(f"{path}.choices", f.choices)
        if f.type == "pattern" and not f.pattern:
            yield Problem(f"{path}.pattern", "a pattern field needs a pattern (pola kosong)")
        elif f.type == "pattern":
            try:
                re.compile(f.pattern)
            except re.error as exc:
                yield Problem(f"{path}.pattern", f"not a regular expression: {exc} "
                              "(pola tidak valid)")
        elif f.pattern:
            yield Problem(f"{path}.pattern", f"only type 'pattern' has a pattern, not {f.type!r} "
                          "(pola hanya untuk tipe pattern)")
        for j, channel in enumerate(f.required):
            if channel not in self.channels:
                yield Problem(f"{path}.required[{j}]", f"channel {channel!r} is not in channels "
                              "(kanal tidak diterima unit ini)")
            elif channel == "email":
                # A mail has no form: a field required there would refuse every mailed report.
                yield Problem(f"{path}.required[{j}]", "a mail cannot carry custom fields "
                              "(email tidak bisa mewajibkan kolom tambahan)")
        yield from _duplicates(f"{path}.required", f.required)


def _chain_problems(self: UnitStandard) -> Iterable[Problem]:
    """A chain of any length: Helpdesk first, each tier once, LKPP (outside) only last."""
    chain = self.escalation
    if chain and chain[0].tier != FIRST_TIER:
        yield Problem("escalation[0].tier", f"the chain must start at {FIRST_TIER!r}, got "
                      f"{chain[0].tier!r} (eskalasi dimulai dari Helpdesk)")
    yield from _duplicates("escalation.tier", (entry.tier for entry in chain))
    for i, entry in enumerate(chain):
        path = f"escalation[{i}]"
        if entry.tier == OUTSIDE_TIER and i != len(chain) - 1:
            yield Problem(f"{path}.tier", f"{OUTSIDE_TIER!r} is outside the unit and must be the "
                          "last tier (Helpdesk LKPP harus tingkat terakhir)")
        if entry.deadline is not None and i == len(chain) - 1:
            yield Problem(f"{path}.deadline", "the last tier has no tier to escalate to "
                          "(tingkat terakhir tidak bisa dieskalasi)")


def _calendar_problems(cal: Calendar) -> Iterable[Problem]:
    try:
        ZoneInfo(cal.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield Problem("calendar.timezone", f"unknown IANA time zone {cal.timezone!r}; use Asia/Jakarta "
                      "(WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT) (zona waktu tidak dikenal)")
    yield from _duplicates("calendar.work_days", cal.work_days)
    previous_end: dt.time | None = None
    for i, pair in enumerate(cal.work_hours):
        times = [_parse_hhmm(t) for t in pair]
        for j, (text, parsed) in enumerate(zip(pair, times)):
            if parsed is None:
                yield Problem(f"calendar.work_hours[{i}][{j}]",
                              f"{text!r} is not a time of day in HH:MM form (format jam salah)")
        start, end = times
        if start is None or end is None:
            continue
        if start >= end:
            yield Problem(f"calendar.work_hours[{i}]", f"start {pair[0]} must be before end "
                          f"{pair[1]} (jam mulai harus sebelum jam selesai)")
        elif previous_end is not None and start < previous_end:
            yield Problem(f"calendar.work_hours[{i}]", "intervals must be in order and must not overlap "
                          "(interval jam kerja tumpang tindih)")
        previous_end = end
    if cal.holidays not in holidays_lib.list_supported_countries():
        yield Problem("calendar.holidays", f"{cal.holidays!r} is not a country code known to "
                      "the holidays package (kode negara tidak dikenal)")
    else:
        try:
            holidays_lib.country_holidays(cal.holidays, categories=cal.holiday_categories)
        except (ValueError, NotImplementedError) as exc:
            yield Problem("calendar.holiday_categories", str(exc))


def _slower(first: Target, resolution: Target, cal: Calendar) -> bool:
    """True when the first response target is longer than resolution (same clock only)."""
    if first.clock != resolution.clock:
        return False
    try:
        per_day = cal.work_minutes_per_day()
    except ValueError:  # invalid work hours, reported by _calendar_problems
        return False

    def minutes(t: Target) -> int:
        span = t.as_timedelta()
        return t.amount * per_day if span is None else int(span.total_seconds()) // 60

    return minutes(first) > minutes(resolution)


def _duplicates(path: str, values: Iterable[str]) -> Iterable[Problem]:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            yield Problem(f"{path}[{i}]", f"duplicate value {value!r} (nilai ganda)")
        seen.add(value)
