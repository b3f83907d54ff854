"""Reading a reporter's mail: who, about what, which ticket it answers, and what is attached.

The mail comes from anyone on the internet, so every step is bounded before it runs: lines,
line lengths, MIME containers and Content-* headers are counted and measured on the raw bytes
before the parser sees them, the parsed tree's depth and part count are checked without
recursion, a header is cut before the header parser reads it, and the text before any pattern
looks at it. `parse` is linear in the size of the mail and is meant to run off the event loop
(the SMTP handler calls it in a thread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.header import decode_header, make_header
from email.utils import parseaddr

from ..notify.threads import number_in_references
from .htmltext import HTML_CHARS, html_to_text
from .sniff import true_type

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
_FIELD_NAME = re.compile(r"[A-Za-z ]{2,20}")
_FOLD = re.compile(r"\r?\n(?=[ \t])")  # a folded header's line breaks; any other is kept
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
# Every C0 control and DEL except tab and line breaks: PostgreSQL cannot store NUL, and the
# others have no place in a ticket's text.
_CONTROLS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127])
_ONE_LINE = dict.fromkeys([*range(0, 32), 127], " ")
BODY_CHARS = 20_000
MAX_LINE = 1000  # RFC 5322 allows 998 characters; aiosmtpd refuses longer lines at the door
REFERENCES = 100  # Message-IDs read from In-Reply-To and References
MAX_CONTENT_HEADER = 2000  # a Content-Type or Content-Disposition with its folded lines
# A Content-* header and its continuation lines; no two parts of the pattern can match the same
# character, so it never backtracks.
_CONTENT_HEADER = re.compile(rb"(?im)^content-[^\n]*\n(?:[ \t][^\n]*\n)*")


class MalformedMail(ValueError):
    """A mail that cannot be read; answered with a permanent refusal (`code`)."""

    code, verdict = "550 5.6.0", "surat tidak bisa dibaca"


class MailTooLarge(MalformedMail):
    """More lines or parts than a helpdesk mail needs."""

    code, verdict = "552 5.3.4", "surat ditolak"


@dataclass(frozen=True)
class Limits:
    max_lines: int = 200_000
    max_parts: int = 50  # every MIME part, containers included
    max_depth: int = 10  # multiparts and attached messages inside each other


@dataclass
class Attachment:
    filename: str
    content_type: str  # judged from the bytes and the name (sniff.py)
    data: bytes
    declared_type: str = ""  # what the sender's Content-Type said


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
    # Set when the mail says it was sent by a program (RFC 3834 and the common X- headers).
    automatic: str | None = None
    references: list[str] = field(default_factory=list)  # In-Reply-To, then References


def fields_of(body: str) -> dict[str, str]:
    """`Name: value` lines, one line at a time: no pattern runs across lines or over a long
    one (the old multi-line pattern backtracked quadratically over runs of blank lines)."""
    fields: dict[str, str] = {}
    for line in body[:BODY_CHARS].splitlines():
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if colon and value and len(key) <= 20 and _FIELD_NAME.fullmatch(key):
            name = FIELD_LINES.get(key.lower())
            if name:
                fields.setdefault(name, value[:200])
    return fields


def _precheck(raw: bytes, limits: Limits) -> None:
    lines = raw.count(b"\n")
    if lines > limits.max_lines:
        raise MailTooLarge(f"surat berisi {lines} baris; paling banyak {limits.max_lines}")
    longest = max(map(len, raw.split(b"\n")))
    if longest > MAX_LINE + 1:  # and the line's CR
        raise MalformedMail(f"ada baris sepanjang {longest} karakter; paling panjang "
                            f"{MAX_LINE} (RFC 5322)")
    # The parser reads every part's Content-Type while it parses, and the header parser is
    # slower than linear on a long one (20 s for 370 KB of parameters): so their number and
    # their length are bounded first. The parser also recurses once per container: counting
    # those keeps it shallow (a type is only a container when `multipart/` or `message/` is
    # written without a space).
    lowered = raw.lower()
    types = 0
    for header in _CONTENT_HEADER.finditer(raw):
        if header.end() - header.start() > MAX_CONTENT_HEADER:
            raise MalformedMail(f"kepala bagian MIME (Content-*) terlalu panjang: paling banyak "
                                f"{MAX_CONTENT_HEADER} karakter")
        types += lowered.startswith(b"content-type:", header.start())
    containers = lowered.count(b"multipart/") + lowered.count(b"message/")
    if max(types, containers) > limits.max_parts:
        raise MailTooLarge(f"surat berisi lebih dari {limits.max_parts} bagian MIME")


def _check_tree(message: EmailMessage, limits: Limits) -> None:
    parts, stack = 0, [(message, 1)]
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise MailTooLarge(f"surat berisi lebih dari {limits.max_parts} bagian MIME")
        if depth > limits.max_depth:
            raise MalformedMail(f"struktur MIME bertingkat lebih dari {limits.max_depth} lapis")
        if part.is_multipart():
            stack.extend((child, depth + 1) for child in part.get_payload())


def _raw(message: EmailMessage, name: str, size: int) -> str:
    """The header's text as written, unfolded, cut to `size`, and not parsed."""
    name = name.lower()
    for key, value in message.raw_items():
        if key.lower() == name:
            return _FOLD.sub("", str(value)[:size])
    return ""


def _header(message: EmailMessage, name: str, size: int = 2000) -> str:
    """The header decoded. The header parser is slower than linear on long values (seconds for
    a few hundred KB of encoded words or comments), so it only ever sees `size` characters."""
    raw = _raw(message, name, size)
    return str(message.policy.header_factory(name, raw)) if raw else ""


def automatic(message: EmailMessage) -> str | None:
    """Why this mail was sent by a program rather than typed by a person, or None."""
    submitted = _header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted[:40]}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "List-Id"):
        if name in message:
            return name
    if message.get_content_type() == "multipart/report":  # a delivery or read report
        return "multipart/report"
    return None


def _sender(message: EmailMessage) -> tuple[str, str]:
    """The From header's name and address; refused when either holds a control character,
    as written or once decoded (an address with a line break would cut the headers of every
    mail the helpdesk sends to it)."""
    controls = MalformedMail("alamat pengirim (From) memuat karakter kendali (mis. baris baru)")
    raw = _raw(message, "From", 1000)
    try:
        header = str(message.policy.header_factory("from", raw)) if raw else ""
    except ValueError:  # the parser refuses a CR or LF it decoded from an encoded word
        raise controls from None
    if any(c != "\t" and (c < " " or c == "\x7f") for c in raw + header):
        raise controls
    name, address = parseaddr(header)
    address = address.strip()
    local, _, domain = address.partition("@")
    if (address.count("@") != 1 or not local or "." not in domain.strip(".")
            or len(address) > 254 or any(c.isspace() or c in "<>,;" for c in address)):
        raise MalformedMail("alamat pengirim (From) tidak sah")
    return " ".join(name.split())[:200], address


def parse(raw: bytes, limits: Limits = Limits()) -> ParsedMail:
    _precheck(raw, limits)
    try:
        message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
        _check_tree(message, limits)
        name, address = _sender(message)
        subject = " ".join(_header(message, "Subject").translate(_ONE_LINE).split())
        body_part = message.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        if body_part is not None and body_part.get_content_type() == "text/html":
            body = html_to_text(body[:HTML_CHARS])
        body = body[:BODY_CHARS].translate(_CONTROLS)
        attachments = [_attachment(part) for part in message.iter_attachments()]
        auto = automatic(message)
        references = _MESSAGE_ID.findall(_ids(message))
        message_id = _raw(message, "Message-ID", 250).translate(_ONE_LINE).strip() or None
    except MalformedMail:
        raise
    except (LookupError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise MalformedMail(f"struktur MIME rusak: {type(exc).__name__}") from None
    if not body.strip() and not subject:
        raise MalformedMail("surat tanpa judul dan tanpa isi")
    number = NUMBER.search(subject[:1000])
    references = references[:REFERENCES]
    return ParsedMail(
        message_id=message_id, sender_name=name, sender_email=address,
        subject=(subject or "(tanpa judul)")[:200], body=body.strip() or subject[:200],
        # The subject's number, else the ticket of the helpdesk mail it answers: a reply
        # whose subject lost the number still threads by its In-Reply-To/References.
        thread_number=number.group(1) if number else number_in_references(references),
        fields=fields_of(body),
        attachments=attachments, automatic=auto, references=references,
    )


def _ids(message: EmailMessage) -> str:
    """In-Reply-To then References, as written; a sender that wrote a long id as encoded words
    (Python's own email package does past 78 characters) is read back to the id."""
    text = _raw(message, "In-Reply-To", 1000) + " " + _raw(message, "References", 8000)
    if "=?" in text:
        text = str(make_header(decode_header(text)))
    return text


def _attachment(part: EmailMessage) -> Attachment:
    name = " ".join((part.get_filename() or "lampiran").translate(_ONE_LINE).split()) or "lampiran"
    data = part.get_payload(decode=True) or b""
    declared = part.get_content_type()
    return Attachment(name, true_type(name, declared, data), data, declared)
