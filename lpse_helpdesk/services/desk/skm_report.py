"""The unit's SKM report per semester or year, as PermenPANRB 14/2017 asks it: the IKM, the
value of each element (NRR), the quality grade (mutu pelayanan), the number of respondents and
the respondents' profile, counted per answer.

The regulation's formula: the average value of an element (NRR) is the sum of its scores over
the respondents who scored it; the IKM is the sum of the nine NRRs, each weighted 1/9 (the
regulation prints the weight rounded, 0.111), converted to 25-100 by x 25; the converted value
gives the grade (`schemas.survey.mutu`). `compute` is that arithmetic alone (unit-tested); the
rest reads the desk's survey rows of a period and writes the CSV.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import msgspec

from ...platform.store import ServiceStore, utc_text
from ...schemas.survey import (
    MUTU_LABELS, NOT_ANSWERED, PROFILE_QUESTIONS, SKM_ELEMENTS, SKM_KEYS, age_band, ikm, mutu,
)
from .reports import BadPeriod

WEIGHT = 1 / len(SKM_ELEMENTS)  # "nilai penimbang": each element weighs the same


class ElementValue(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    respondents: int  # who scored this element
    nrr: float | None  # the element's average value, 1-4 (2 decimals), null without scores
    converted: float | None  # nrr x 25
    mutu: str | None


class AnswerCount(msgspec.Struct, frozen=True, kw_only=True):
    code: str  # the API's value; "" for "tidak diisi"
    label: str
    count: int


class ProfileBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    key: str  # a field of `SkmProfile`
    title: str
    answers: list[AnswerCount]  # every option in the questionnaire's order, then "tidak diisi"


class SkmReport(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    period: str  # "2026-S1", "2026-S2" or "2026"
    period_label: str  # "Semester I 2026", "Tahun 2026"
    period_from: date = msgspec.field(name="from")
    period_to: date = msgspec.field(name="to")
    respondents: int
    ikm_unconverted: float | None  # sum of NRR x 1/9, 1-4 (3 decimals)
    ikm: float | None  # converted, 25-100, 2 decimals
    mutu: str | None  # A, B, C, D
    mutu_label: str | None  # Sangat Baik, Baik, Kurang Baik, Tidak Baik
    elements: list[ElementValue]
    profile: list[ProfileBreakdown]


PERIOD = re.compile(r"^(\d{4})(?:-S([12]))?$")


def parse_period(text: str | None, today: date) -> tuple[str, str, date, date]:
    """`2026-S1` (January-June), `2026-S2` (July-December) or `2026`; empty means the
    semester of today. Returns (code, label, first day, last day)."""
    if not text:
        text = f"{today.year}-S{1 if today.month <= 6 else 2}"
    found = PERIOD.match(text.strip())
    if not found or not 2000 <= int(found[1]) <= 2999:
        raise BadPeriod("periode", f"Periode `{text[:20]}` tidak sah; gunakan TAHUN-S1, TAHUN-S2 "
                                   "atau TAHUN, mis. 2026-S1 / invalid period")
    year, half = int(found[1]), found[2]
    if half is None:
        return str(year), f"Tahun {year}", date(year, 1, 1), date(year, 12, 31)
    first = date(year, 1 if half == "1" else 7, 1)
    last = date(year, 6, 30) if half == "1" else date(year, 12, 31)
    return f"{year}-S{half}", f"Semester {'I' if half == '1' else 'II'} {year}", first, last


def compute(scores: list[tuple[int, ...]], profiles: list[dict]) -> dict:
    """The report's figures from the period's surveys: `scores` one tuple of the nine element
    scores (1-4, None where unscored) per respondent; `profiles` one dict of `SkmProfile`
    answers (missing or None: not answered) per respondent."""
    elements = []
    for index, (key, title) in enumerate(SKM_ELEMENTS):
        given = [row[index] for row in scores if row[index] is not None]
        nrr = sum(given) / len(given) if given else None
        elements.append(ElementValue(
            key=key, title=title, respondents=len(given),
            nrr=round(nrr, 2) if nrr is not None else None,
            converted=ikm(nrr) if nrr is not None else None,
            mutu=mutu(ikm(nrr)) if nrr is not None else None))
    nrrs = [sum(r[i] for r in scores if r[i] is not None) / e.respondents
            for i, e in enumerate(elements) if e.respondents]
    unconverted = sum(n * WEIGHT for n in nrrs) if len(nrrs) == len(SKM_ELEMENTS) else None
    index = ikm(unconverted) if unconverted is not None else None
    grade = mutu(index) if index is not None else None
    return {"respondents": len(scores), "elements": elements,
            "ikm_unconverted": round(unconverted, 3) if unconverted is not None else None,
            "ikm": index, "mutu": grade, "mutu_label": MUTU_LABELS.get(grade or ""),
            "profile": breakdown(profiles)}


def breakdown(profiles: list[dict]) -> list[ProfileBreakdown]:
    """Counts per answer of each profile question; the age by its bands."""
    result = []
    for key, title, options in PROFILE_QUESTIONS:
        counts = {code: 0 for code, _ in options}
        missing = 0
        for profile in profiles:
            value = profile.get(key)
            value = age_band(value) if key == "usia" else value
            if value in counts:
                counts[value] += 1
            else:
                missing += 1
        result.append(ProfileBreakdown(key=key, title=title, answers=[
            *(AnswerCount(code=code, label=label, count=counts[code]) for code, label in options),
            AnswerCount(code="", label=NOT_ANSWERED, count=missing)]))
    return result


PROFILE_KEYS = tuple(key for key, _, _ in PROFILE_QUESTIONS)


def report(store: ServiceStore, tenant: str, zone, now: datetime,
           period_text: str | None) -> SkmReport:
    """The unit's report for the period asked (`parse_period`), from the surveys submitted in
    it (the unit's own days)."""
    code, label, first, last = parse_period(period_text, now.astimezone(zone).date())
    low = utc_text(datetime.combine(first, time(0), tzinfo=zone))
    high = utc_text(datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone))
    p = store.prefix
    columns = ", ".join([*(f"s.{k}" for k in SKM_KEYS), *(f"f.{k}" for k in PROFILE_KEYS)])
    rows = store.query(
        f"SELECT {columns}"
        f" FROM {p}_surveys s LEFT JOIN {p}_survey_profiles f ON f.ticket_id = s.ticket_id"
        " WHERE s.tenant = ? AND s.submitted_at >= ? AND s.submitted_at < ?", (tenant, low, high))
    size = len(SKM_KEYS)
    figures = compute([tuple(row[:size]) for row in rows],
                      [dict(zip(PROFILE_KEYS, row[size:], strict=True)) for row in rows])
    return SkmReport(tenant=tenant, period=code, period_label=label, period_from=first,
                     period_to=last, **figures)


CSV_HEADER = ("bagian", "uraian", "nilai_rata_rata", "nilai_konversi", "mutu", "jumlah")


def report_csv(found: SkmReport, unit_name: str) -> str:
    """One table: the summary row, a row per element (U1-U9), a row per profile answer."""
    def number(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    grade = f"{found.mutu} ({found.mutu_label})" if found.mutu else ""
    title = f"{unit_name} · {found.period_label} ({found.period_from} s.d. {found.period_to})"
    writer.writerow(("IKM", title, number(found.ikm_unconverted, 3), number(found.ikm, 2), grade,
                     found.respondents))
    for position, element in enumerate(found.elements, 1):
        writer.writerow(("Unsur", f"U{position} {element.title}", number(element.nrr, 2),
                         number(element.converted, 2), element.mutu or "", element.respondents))
    for question in found.profile:
        for answer in question.answers:
            writer.writerow((f"Profil: {question.title}", answer.label, "", "", "", answer.count))
    return out.getvalue()
