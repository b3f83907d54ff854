"""Everything wrong with a new ticket at once, in plain Indonesian, each naming its field.

The API's decoder stops at the first fault, and the unit's requirements are checked after it;
a reporter who fixes one field at a time learns of the next only on the next submit. This pure
function reads the submitted body as given (any JSON) against the same rules (`NewTicket`'s
limits and patterns, the unit's Persyaratan and its own fields) and names them all: the API
sends them as `problems`, the portal puts each next to its input. Words, never codes: channels
by their Indonesian names, fields by the form's labels.
"""

from __future__ import annotations

import re
from typing import Any

from ...schemas.events import EMAIL, LINES, ONE_LINE
from ...schemas.problems import Problem
from .decisions import field_problems
from .requirements import LABELS, REPORTER_FIELDS, field_path

CHANNEL_NAMES = {"web": "portal web", "email": "email", "phone": "telepon", "walk_in": "loket",
                 "api": "API"}
# The portal form's labels of the API's fields.
FIELD_LABELS = {
    "tenant": "Unit", "channel": "Kanal", "kind": "Jenis laporan",
    "reporter": "Data pelapor", "reporter.name": "Nama lengkap",
    "reporter.email": "Alamat email", "reporter.phone": "Nomor telepon/WA",
    "reporter.organization": "Instansi/perusahaan", "reporter.kind": "Anda adalah",
    "subject": "Judul", "description": "Uraian masalah", "documents": "Dokumen",
    "attachments": "Lampiran", "fields": "Data tambahan",
}
_ONE_LINE, _LINES, _EMAIL = re.compile(ONE_LINE), re.compile(LINES), re.compile(EMAIL)
_PHONE = re.compile(r"\+?[0-9 ().-]+")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
MAX_ATTACHMENTS = 10


def channel_names(channels) -> str:
    """`portal web, loket dan API`."""
    names = [CHANNEL_NAMES.get(c, c) for c in channels]
    return " dan ".join(filter(None, [", ".join(names[:-1]), names[-1]])) if names else "-"


def label_of(path: str, standard=None) -> str:
    """A field as the form labels it: `documents.company_npwp` -> `NPWP perusahaan`."""
    head, _, rest = path.partition(".")
    if head == "documents" and rest:
        text = LABELS.get(rest, rest)
        return text[:1].upper() + text[1:]
    if head == "fields" and rest and standard is not None:
        return next((f.label for f in standard.fields if f.name == rest), rest)
    return FIELD_LABELS.get(path, path)


def _text(problems: list, path: str, value: Any, *, required: bool, longest: int,
          lines: bool = False) -> None:
    label = label_of(path)
    if value is None or value == "":
        if required:
            problems.append(Problem(field=path, message=f"{label} wajib diisi."))
    elif not isinstance(value, str):
        problems.append(Problem(field=path, message=f"{label} harus berupa teks."))
    elif len(value) > longest:
        problems.append(Problem(field=path, message=f"{label} terlalu panjang: paling banyak "
                                f"{longest} karakter (sekarang {len(value)})."))
    elif not (_LINES if lines else _ONE_LINE).match(value):
        problems.append(Problem(field=path, message=f"{label} memuat karakter yang tidak "
                                "diperbolehkan" + ("." if lines else " (mis. baris baru).")))


def phone_problem(phone: str) -> Problem | None:
    """The portal's check of a typed number (the API takes any short text)."""
    if phone and (not _PHONE.fullmatch(phone) or sum(c.isdigit() for c in phone) < 4):
        return Problem(field="reporter.phone", message="Nomor telepon/WA tidak sah: tulis "
                       "angkanya saja, mis. 0812 3456 7890 atau +62 812 3456 7890.")
    return None


def _reporter(problems: list, reporter: Any) -> dict:
    if not isinstance(reporter, dict):
        problems.append(Problem(field="reporter.name", message="Nama lengkap wajib diisi."))
        return {}
    _text(problems, "reporter.name", reporter.get("name"), required=True, longest=200)
    email = reporter.get("email")
    _text(problems, "reporter.email", email, required=False, longest=254)
    if isinstance(email, str) and email and len(email) <= 254 and not _EMAIL.match(email):
        problems.append(Problem(field="reporter.email", message="Alamat email tidak sah: "
                                "tulis lengkap, mis. nama@perusahaan.co.id."))
    _text(problems, "reporter.phone", reporter.get("phone"), required=False, longest=40)
    _text(problems, "reporter.organization", reporter.get("organization"), required=False,
          longest=200)
    if reporter.get("kind", "other") not in ("ppk", "penyedia", "other"):
        problems.append(Problem(field="reporter.kind", message="Pilih salah satu: penyedia, "
                                "OPD/PPK atau lainnya."))
    return reporter


def _requirements(problems: list, standard, channel: str, present: dict,
                  images: int | None) -> None:
    for name in standard.required_fields(channel):
        if name == "screenshot" and images is not None:
            if not images:
                problems.append(Problem(field="documents.screenshot", message=(
                    f"{standard.name} meminta data dukung: lampirkan minimal satu gambar "
                    f"(tangkapan layar, PNG atau JPG) permasalahan Anda.")))
        elif not str(present.get(name) or "").strip():
            path = field_path(name)
            problems.append(Problem(field=path, message=f"{label_of(path)} wajib diisi menurut "
                                    f"standar layanan {standard.name}."))


def ticket_problems(body: Any, standard, images: int | None = None) -> list[Problem]:
    """Every problem of a `NewTicket` body as given (`standard`: its unit's, None when the unit
    is unknown), in the form's order, one per field. `images`: the image files attached, where
    known; then only an image meets a screenshot requirement."""
    problems: list[Problem] = []
    if not isinstance(body, dict):
        return problems
    if standard is None:
        problems.append(Problem(field="tenant", message="Unit LPSE tidak dikenal di helpdesk "
                                "ini."))
    channel = body.get("channel")
    channel = channel if isinstance(channel, str) else None  # any JSON value may come
    if channel not in CHANNEL_NAMES:
        problems.append(Problem(field="channel", message="Kanal tidak dikenal; yang ada: "
                                f"{channel_names(CHANNEL_NAMES)}."))
    elif standard is not None and not standard.accepts(channel):
        problems.append(Problem(field="channel", message=(
            f"{standard.name} tidak menerima laporan lewat {CHANNEL_NAMES[channel]}; kirim "
            f"lewat {channel_names(standard.channels)}.")))
    reporter = _reporter(problems, body.get("reporter"))
    if body.get("kind", "ticket") not in ("ticket", "complaint"):
        problems.append(Problem(field="kind", message="Jenis laporan tidak dikenal."))
    _text(problems, "subject", body.get("subject"), required=True, longest=200)
    _text(problems, "description", body.get("description"), required=True, longest=20_000,
          lines=True)
    given = body.get("fields") or {}
    if standard is not None and isinstance(given, dict):
        given = {k: v for k, v in given.items() if isinstance(v, str)}
        for path, message in field_problems(standard, channel or "api", given):
            name = label_of(path, standard)
            text = re.sub(r"^\([^)]*\) ", "", message)
            problems.append(Problem(field=path, message=f"{name} {text}."))
    documents = body.get("documents") or {}
    documents = documents if isinstance(documents, dict) else {}
    for kind, value in documents.items():
        path = f"documents.{kind}"
        if kind not in LABELS or kind in REPORTER_FIELDS:
            problems.append(Problem(field=path, message=f"Dokumen “{kind}” tidak dikenal."))
        else:
            _text(problems, path, value, required=True, longest=200)
    if standard is not None and channel in CHANNEL_NAMES and standard.accepts(channel):
        present = {**documents, **{n: reporter.get(n) for n in REPORTER_FIELDS}}
        if body.get("attachments") and images is None:
            present.setdefault("screenshot", "lampiran")  # judged when the uploads are read
        _requirements(problems, standard, channel, present, images)
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
        problems.append(Problem(field="attachments", message=f"Paling banyak {MAX_ATTACHMENTS} "
                                "lampiran per laporan."))
    elif not all(isinstance(a, str) and _UPLOAD_ID.fullmatch(a) for a in attachments):
        problems.append(Problem(field="attachments", message="Lampiran tidak dikenal: unggah "
                                "berkasnya lagi."))
    return in_form_order(problems)


_ORDER = ["tenant", "channel", "reporter.name", "reporter.email", "reporter.phone",
          "reporter.organization", "reporter.kind", "kind", "subject", "description", "fields",
          "documents", "attachments"]


def in_form_order(problems: list[Problem]) -> list[Problem]:
    """One problem per field (the first found), in the order the form shows the fields."""
    seen: dict[str, Problem] = {}
    for problem in problems:
        seen.setdefault(problem.field, problem)

    def place(problem: Problem) -> int:
        for name in (problem.field, problem.field.partition(".")[0]):
            if name in _ORDER:
                return _ORDER.index(name)
        return len(_ORDER)

    return sorted(seen.values(), key=place)


# How a mail gives each item: a `Name: value` line in its text (mail.FIELD_LINES reads them),
# or otherwise.
MAIL_LINES = {
    "phone": "Telepon: 0812...", "organization": "Instansi: ...",
    "id_card": "KTP: nomor tanda pengenal", "company_npwp": "NPWP: ...",
    "director_id_card": "KTP direktur: ...", "request_letter": "Surat permohonan: ...",
    "company_documents": "Dokumen perusahaan: ...",
}
MAIL_OTHER = {"name": "tulis nama Anda sebagai nama pengirim",
              "screenshot": "lampirkan tangkapan layar (PNG atau JPG)"}


def mail_refusal(standard, missing: list[str]) -> str:
    """Why a mail made no ticket, as the sender reads it: the channels the unit takes instead,
    or each missing item by name with the way to give it by mail, for those items only."""
    if "channel" in missing:
        return (f"{standard.name} tidak menerima laporan lewat email; kirim laporan lewat "
                f"{channel_names(standard.channels)}")
    names = [path.partition(".")[2] or path for path in missing]
    lines = [f"'{MAIL_LINES[n]}'" for n in names if n in MAIL_LINES]
    hints = ([f"tulis di isi surat {', '.join(lines)}"] if lines else []) + [
        MAIL_OTHER[n] for n in names if n in MAIL_OTHER]
    text = (f"laporan belum lengkap menurut standar layanan {standard.name}, yang masih kurang: "
            f"{'; '.join(LABELS.get(n, n) for n in names)}")
    return f"{text}. Kirim ulang: {'; '.join(hints)}" if hints else text


def mail_fields_refusal(standard, paths: list[str]) -> str:
    """A unit whose own fields are required on mail: a mail cannot carry them (they are the
    portal's inputs), so the sender is told where they can be given."""
    names = ", ".join(label_of(path, standard) for path in paths)
    others = [c for c in standard.channels if c != "email"]
    return (f"laporan belum lengkap menurut standar layanan {standard.name}: {names} wajib "
            f"diisi, dan hanya bisa diisi lewat {channel_names(others)}")
