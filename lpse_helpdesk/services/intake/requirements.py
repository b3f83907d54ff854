"""What a unit's standard requires from a reporter, checked before a ticket is accepted."""

from __future__ import annotations

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


class RequirementsNotMet(ValueError):
    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing  # field paths, e.g. ["reporter.phone", "documents.id_card"]


def field_path(requirement: str) -> str:
    return f"reporter.{requirement}" if requirement in REPORTER_FIELDS else f"documents.{requirement}"


def check(standard, ticket: NewTicket) -> None:
    """Raise `RequirementsNotMet` naming every missing item, or a channel the unit refuses."""
    if not standard.accepts(ticket.channel):
        accepted = ", ".join(standard.channels)
        raise RequirementsNotMet(
            f"{standard.name} tidak menerima laporan lewat kanal `{ticket.channel}` "
            f"(kanal yang diterima: {accepted})", ["channel"],
        )
    present = {name: getattr(ticket.reporter, name) for name in REPORTER_FIELDS}
    present.update(ticket.documents)
    missing = [r for r in standard.required_fields(ticket.channel) if not str(present.get(r, "")).strip()]
    if missing:
        items = "; ".join(f"{LABELS.get(r, r)} (`{field_path(r)}`)" for r in missing)
        raise RequirementsNotMet(
            f"Data wajib untuk {standard.name} (kanal {ticket.channel}) belum lengkap: {items}",
            [field_path(r) for r in missing],
        )
