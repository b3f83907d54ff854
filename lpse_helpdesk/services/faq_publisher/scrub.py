"""Removing personal data from a question and its answer before they become a public FAQ entry.

Taken out, each replaced by an Indonesian placeholder and counted so the reviewer sees what was
removed: NIK, NIP and NPWP in any writing ([NIK], [NIP], [NPWP]); other identity numbers of 12
digits or more ([nomor identitas]); mobile and landline numbers and WhatsApp links ([telepon]);
e-mail addresses, also written with [at]/(at)/" at " ([email]); bank and virtual accounts
([rekening]); street addresses ([alamat]); persons named after Pak/Bu/Sdr/a.n./atas nama and
the reporter's own name ([nama]); companies after PT/CV/UD/Koperasi/... ([perusahaan]) and the
reporter's organisation ([instansi]); passwords, PINs, OTPs and codes after the words that
introduce them ([rahasia]); links carrying credentials or tokens ([tautan]); ticket numbers in
any case ([nomor tiket]).

What stays: the unit's own contacts from its standard (`own_contacts`: "hubungi LPSE di (0356)
332577" keeps the number), and numbers LPSE publishes or that are about no one: tender, paket
and RUP codes, amounts in Rupiah, dates, times, years, versions, regulation numbers. Numbers of
8 digits or more that no rule explains also stay, and the review asks staff to confirm them
before publishing (`long_digit_runs`).

The finders live in scrub_numbers, scrub_words and scrub_address; each returns spans over the
original text, merged here, so no finder sees another's placeholders. How well this works is
measured by `python -m lpse_helpdesk.services.faq_publisher.scrub_check`.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import Iterable, NamedTuple

from . import scrub_numbers
from .scrub_address import addresses
from .scrub_words import companies, emails, given, links, persons, secrets

# Internal kind -> (what the reviewer's `removed` counts, placeholder). The counted names are
# the ones drafts have always carried, so earlier drafts and new ones read alike.
KINDS: dict[str, tuple[str, str]] = {
    "URL bertoken": ("URL bertoken", "[tautan]"),
    "email": ("email", "[email]"),
    "nomor tiket": ("nomor tiket", "[nomor tiket]"),
    "rahasia": ("rahasia", "[rahasia]"),
    "NPWP": ("NPWP", "[NPWP]"),
    "NIK": ("NIK", "[NIK]"),
    "NIP": ("NIP", "[NIP]"),
    "nomor identitas": ("nomor identitas", "[nomor identitas]"),
    "rekening": ("rekening", "[rekening]"),
    "telepon": ("telepon", "[telepon]"),
    "alamat": ("alamat", "[alamat]"),
    "perusahaan/instansi": ("perusahaan/instansi", "[perusahaan]"),
    "instansi": ("perusahaan/instansi", "[instansi]"),
    "nama": ("nama", "[nama]"),
}
# A link with a token in it is never the unit's own, even when it starts with the unit's
# website; nor is a password. These go whole unless they lie inside one of its contacts.
_WHOLE = {"URL bertoken", "rahasia", "email", "nomor tiket"}
# When spans overlap, the longest names the whole; on a tie the kind listed first.
_RANK = {kind: i for i, kind in enumerate(KINDS)}


class Span(NamedTuple):
    start: int
    end: int
    kind: str


class Keep:
    """The unit's own contacts: their literal places in a text, their phone numbers, and
    their letters and digits for comparing addresses written a little differently."""

    def __init__(self, values: Iterable[str] = ()):
        self.values = tuple(v.strip() for v in values if len(v.strip()) >= 4)
        self.digits = scrub_numbers.phone_digits(self.values)
        self.squashed = tuple(_squash(v) for v in self.values)

    def places(self, text: str) -> list[tuple[int, int]]:
        lowered, found = text.lower(), []
        for value in self.values:
            needle, at = value.lower(), 0
            while (at := lowered.find(needle, at)) >= 0:
                found.append((at, at + len(needle)))
                at += len(needle)
        return found

    def covers(self, text: str, span: Span) -> bool:
        piece = text[span.start:span.end]
        if span.kind in ("telepon", "rekening", "nomor identitas"):
            digits = re.sub(r"\D", "", piece)
            return bool(digits) and scrub_numbers.is_kept(digits, piece, self.digits)
        squashed = _squash(piece)
        return (span.kind in ("alamat", "email", "URL bertoken") and len(squashed) >= 6
                and any(squashed in kept for kept in self.squashed))


def _squash(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.lower())


def own_contacts(standard) -> tuple[str, ...]:
    """What a unit publishes about itself (its standard's contacts, helpdesk and complaint
    addresses, role mailboxes): never personal data in its own FAQ."""
    c, k = standard.contacts, standard.complaints
    values = (c.address, c.phone, c.website, c.helpdesk_phone, standard.helpdesk_email,
              k.address, k.email, k.phone, k.web, *standard.notify.roles.values())
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def find(text: str, names: Iterable[str] = (), organizations: Iterable[str] = (),
         keep: Iterable[str] | Keep = ()) -> list[Span]:
    """The personal data in `text`: non-overlapping spans in order."""
    keep = keep if isinstance(keep, Keep) else Keep(keep)
    raw = [Span(*s) for finder in (links, emails, secrets, persons, companies, addresses)
           for s in finder(text)]
    raw += [Span(*s) for s in scrub_numbers.number_spans(text)]
    raw += [Span(*s) for s in given(text, tuple(names), tuple(organizations))]
    protected = [(a, b) for a, b, _ in _merge([Span(a, b, "alamat") for a, b in keep.places(text)])]
    kept = []
    for span in raw:
        if keep.covers(text, span):
            continue
        if span.kind in _WHOLE:
            if not any(a <= span.start and span.end <= b for a, b in protected):
                kept.append(span)
            continue
        kept += _outside(text, span, protected)
    return _merge(kept)


def _outside(text: str, span: Span, protected: list[tuple[int, int]]) -> list[Span]:
    """The parts of a span outside the unit's own contacts that still hold letters or digits.
    `protected` is sorted and non-overlapping, so only the places the span touches are read."""
    pieces, at = [], span.start
    i = max(bisect.bisect_right(protected, (span.start, span.start)) - 1, 0)
    while i < len(protected) and protected[i][0] < span.end:
        a, b = protected[i]
        if b > at:
            pieces.append(Span(at, max(at, min(a, span.end)), span.kind))
            at = max(at, b)
        i += 1
    pieces.append(Span(at, span.end, span.kind))
    return [p for p in pieces if p.end > p.start and sum(c.isalnum() for c in text[p.start:p.end]) >= 2]


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    best: Span | None = None
    for span in sorted(spans):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            if _better(span, best):
                best = span
            merged[-1] = Span(last.start, max(last.end, span.end), best.kind)
        else:
            best = span
            merged.append(span)
    return merged


def _better(a: Span, b: Span) -> bool:
    return (a.end - a.start, -_RANK[a.kind]) > (b.end - b.start, -_RANK[b.kind])


def scrub(text: str, names: Iterable[str] = (), organizations: Iterable[str] = (),
          keep: Iterable[str] | Keep = ()) -> tuple[str, Counter]:
    """The text without personal data, and how many of each kind were removed."""
    removed: Counter = Counter()
    out, at = [], 0
    for span in find(text, names, organizations, keep):
        counted, placeholder = KINDS[span.kind]
        out += [text[at:span.start], placeholder]
        removed[counted] += 1
        at = span.end
    out.append(text[at:])
    return "".join(out), removed


def long_digit_runs(text: str, keep: Iterable[str] | Keep = ()) -> list[scrub_numbers.DigitRun]:
    """Numbers of 8 digits or more left in a scrubbed text that are neither public (codes,
    amounts, dates) nor the unit's own: staff confirm them before the entry is published."""
    keep = keep if isinstance(keep, Keep) else Keep(keep)
    return scrub_numbers.long_runs(text, keep.digits)


def _guess(digits: int) -> str:
    return {15: "NPWP?", 16: "NIK atau NPWP?", 18: "NIP?"}.get(
        digits, "nomor telepon atau rekening?" if 9 <= digits <= 13 else "nomor rekening atau identitas?")


def digit_warning(question: str, answer: str, keep: Iterable[str] | Keep = ()) -> str | None:
    """Why a draft may not be published yet, in Indonesian for the reviewer, or None: where
    each long number sits (which part, which character) and what it may be."""
    found = [(part, run) for part, text in (("pertanyaan", question), ("jawaban", answer))
             for run in long_digit_runs(text, keep)]
    if not found:
        return None
    listed = "; ".join(f"{part} karakter ke-{run.position + 1}: \"{run.text}\" ({run.digits} "
                       f"digit, {_guess(run.digits)})" for part, run in found[:5])
    more = f" dan {len(found) - 5} lainnya" if len(found) > 5 else ""
    return (f"Draf masih memuat angka panjang yang mungkin data pribadi: {listed}{more}. Ubah "
            "drafnya (edit), atau bila angka itu memang boleh tampil, terbitkan dengan "
            "{\"confirm_digits\": true}.")
