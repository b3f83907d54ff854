"""Reading a reporter's mail: who, about what, which ticket it answers, and what is attached."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser

NUMBER = re.compile(r"\b([A-Z]{3}-\d{4}-\d{6})\b")
# "Telepon: 0812..." lines in the body give what the unit's standard asks for.
FIELD_LINES = {
    "telepon": "phone", "hp": "phone", "no hp": "phone", "phone": "phone",
    "instansi": "organization", "perusahaan": "organization", "organisasi": "organization",
    "ktp": "id_card", "nik": "id_card", "tanda pengenal": "id_card",
    "npwp": "company_npwp", "npwp perusahaan": "company_npwp",
    "ktp direktur": "director_id_card", "surat permohonan": "request_letter",
    "dokumen perusahaan": "company_documents",
}
_FIELD = re.compile(r"^\s*([A-Za-z ]{2,20})\s*:\s*(.+?)\s*$", re.MULTILINE)


class MalformedMail(ValueError):
    pass


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str | None
    sender_name: str
    sender_email: str
    subject: str
    body: str
    thread_number: str | None
    fields: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


def parse(raw: bytes) -> ParsedMail:
    try:
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
        name, address = parseaddr(str(message.get("From", "")))
        subject = str(message.get("Subject", "")).strip()
        body_part = message.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        if body_part is not None and body_part.get_content_type() == "text/html":
            body = html_to_text(body)
        attachments = [
            Attachment(part.get_filename() or "lampiran", part.get_content_type(),
                       part.get_payload(decode=True) or b"")
            for part in message.iter_attachments()
        ]
    except (LookupError, ValueError, TypeError, AttributeError) as exc:
        raise MalformedMail(f"struktur MIME rusak: {exc}") from None
    if "@" not in address:
        raise MalformedMail("alamat pengirim (From) tidak sah")
    if not body.strip() and not subject:
        raise MalformedMail("surat tanpa judul dan tanpa isi")
    number = NUMBER.search(subject)
    fields = {}
    for key, value in _FIELD.findall(body):
        if key.strip().lower() in FIELD_LINES:
            fields.setdefault(FIELD_LINES[key.strip().lower()], value[:200])
    message_id = str(message.get("Message-ID", "")).strip() or None
    return ParsedMail(
        message_id=message_id[:250] if message_id else None, sender_name=name.strip()[:200],
        sender_email=address.strip()[:254], subject=(subject or "(tanpa judul)")[:200],
        body=body.strip()[:20_000] or subject, thread_number=number.group(1) if number else None,
        fields=fields, attachments=attachments,
    )
