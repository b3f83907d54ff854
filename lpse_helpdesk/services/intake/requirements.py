"""What a unit's standard requires from a reporter, checked before a ticket is accepted."""

from __future__ import annotations

from ... import refusals
from ...schemas.api import NewTicket

# Indonesian names of what is missing, as the reporter reads them.
LABELS = {
    "name": "nama pelapor",
    "email": "alamat email",
    "phone": "nomor telepon yang bisa dihubungi",
    "organization": "nama instansi/perusahaan",
    "id_card": "tanda pengenal (KTP/SIM/kartu pegawai/paspor)",
    "company_npwp": "NPWP perusahaan",
    "director_id_card": "fotokopi KTP direktur/pemilik",
    "request_letter": "surat permohonan",
    "company_documents": "dokumen perusahaan",
    "screenshot": "data dukung, mis. tangkapan layar (screenshot) permasalahan",
}
REPORTER_FIELDS = ("name", "email", "phone", "organization")


class RequirementsNotMet(refusals.Invalid, ValueError):
    def __init__(self, message: str, missing: list[str]):
        # `missing`: field paths, e.g. ["reporter.phone", "documents.id_card"]; the first is
        # the field at fault.
        super().__init__(message, field=missing[0] if missing else None, missing=missing)


def field_path(requirement: str) -> str:
    return f"reporter.{requirement}" if requirement in REPORTER_FIELDS else f"documents.{requirement}"


def check(standard, ticket: NewTicket, images: int | None = None) -> None:
    """Raise `RequirementsNotMet` naming every missing item, or a channel the unit refuses.
    `images`: the image files the reporter attached (types judged from the bytes,
    intake/sniff.py); when given, only an image meets a screenshot requirement, not a typed
    word such as "terlampir". None where staff record what they saw (phone, walk-in)."""
    if not standard.accepts(ticket.channel):
        accepted = ", ".join(standard.channels)
        raise RequirementsNotMet(
            f"{standard.name} tidak menerima laporan lewat kanal `{ticket.channel}` "
            f"(kanal yang diterima: {accepted})", ["channel"],
        )
    present = {name: getattr(ticket.reporter, name) for name in REPORTER_FIELDS}
    present.update(ticket.documents)
    if images is not None:
        present["screenshot"] = "ada" if images else ""
    missing = [r for r in standard.required_fields(ticket.channel) if not str(present.get(r, "")).strip()]
    if missing:
        items = "; ".join(f"{LABELS.get(r, r)} (`{field_path(r)}`)" for r in missing)
        raise RequirementsNotMet(
            f"Data wajib untuk {standard.name} (kanal {ticket.channel}) belum lengkap: {items}",
            [field_path(r) for r in missing],
        )
