"""Personal fields of ticket events, sealed with their ticket's key (docs/privacy.md).

On the wire (store and bus) a ticket event that carries personal data is the same JSON object
with each personal value replaced by `WIRE` ("[tersegel]"; e-mail and phone: ""), and one more
member, last: `"sealed": "v1.<base64(nonce 12 bytes + AES-256-GCM ciphertext and tag)>"`.
The plaintext is a JSON object of the real values; the associated data is the tenant, "|" and
the ticket's and event's ids (16 bytes each), so a sealed value moved to another event is
refused.
Decoding reverses it. Without the key (erased) the placeholders become `ERASED`
("[data dihapus]"), which every field's constraints accept. Events without `sealed` (stored
before sealing existed) decode unchanged.

The codec gets the keys from the process's key store (`use_keystore`, set by bootstrap's
composition root); encoding or decoding a personal event with none set raises `NoKeyStore`,
never writes plaintext.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import desk_events as dk
from . import events as ev
from . import faq

WIRE, ERASED = "[tersegel]", "[data dihapus]"
VERSION = "v1."
_TAIL = b',"sealed":"' + VERSION.encode()
_REPORTER_TEXT = ("name", "organization")
_REPORTER_EMPTY = ("email", "phone")


class KeySource(Protocol):
    def key_for(self, tenant: str, ticket_id: uuid.UUID, create: bool = False) -> bytes | None: ...

    def add_parts(self, tenant: str, ticket_id: uuid.UUID, attachment_ids: list[str]) -> None: ...

    def key_of_reporter(self, tenant: str, ticket_id: uuid.UUID, email: str) -> bytes | None: ...


class NoKeyStore(RuntimeError):
    """Personal data to seal or open, and no key store configured in this process."""


class SealBroken(ValueError):
    """The sealed part does not open with its ticket's key for this event: altered or moved."""


_keystore: KeySource | None = None
_pinned = False


def use_keystore(store: KeySource | None) -> None:
    """The key store this process's codec uses from now on (bootstrap sets it for the data
    folder of the service it builds); ignored while one is pinned."""
    global _keystore
    if not _pinned:
        _keystore = store


def is_pinned() -> bool:
    return _pinned


def pin_keystore(store: KeySource | None) -> None:
    """One key store for everything this process does, whatever it builds later (a test
    session runs many helpdesks in one process and passes events between them); None unpins."""
    global _keystore, _pinned
    _keystore, _pinned = store, store is not None


def keystore() -> KeySource:
    if _keystore is None:
        raise NoKeyStore("kunci data pribadi belum disiapkan di proses ini (bootstrap."
                         "use_keystore) / no key store configured: refusing to handle plaintext")
    return _keystore


@dataclass(frozen=True)
class Spec:
    """The personal fields of one event type."""

    texts: tuple[str, ...] = ()  # top-level text fields
    maps: tuple[str, ...] = ()  # dict fields whose values are personal (keys are not)
    blanks: tuple[str, ...] = ()  # struct fields: on the wire (and erased) their empty default
    reporter: bool = False
    attachments: bool = False  # their filenames
    ticket: str = "ticket_id"  # the field naming the ticket whose key seals the event
    staff_only: bool = False  # sealed only when staff wrote it (`actor` not the system)


_MESSAGE = Spec(texts=("message",))
SPECS: dict[type, Spec] = {
    ev.TicketReceived: Spec(texts=("subject", "description"), maps=("documents", "fields"),
                            reporter=True, attachments=True),
    ev.ReporterReplied: Spec(texts=("message",), attachments=True),
    ev.ReporterFeedback: _MESSAGE,
    ev.EscalatedToCoordinator: Spec(texts=("reason",)),
    ev.EscalatedToLkpp: Spec(texts=("reason",)),
    ev.EscalationAnswered: _MESSAGE,
    dk.TicketReplied: _MESSAGE, dk.InfoRequested: _MESSAGE, dk.NoteAdded: _MESSAGE,
    dk.TicketClosed: Spec(texts=("resolution",)), dk.TicketMerged: Spec(texts=("resolution",)),
    dk.TicketReopened: Spec(texts=("reason",)),
    dk.SurveySubmitted: Spec(texts=("comment",), blanks=("profile",)),
    # Staff may quote the reporter in a classification's reason; triage's own reason is its
    # model's words (and sealing every ticket's costs each consumer ~14 µs to open).
    ev.TicketClassified: Spec(texts=("reason",), staff_only=True),
    # A draft's text comes from its ticket's subject, description and answer: sealed with that
    # ticket's key, so erasing the ticket forgets it (the published text is in `faq.published`).
    faq.FaqDrafted: Spec(texts=("question", "answer"), ticket="source_ticket_id"),
    # A mail's recipient is the reporter's address; a failure's error often quotes it.
    ev.NotificationSent: Spec(texts=("recipient",)),
    ev.NotificationFailed: Spec(texts=("recipient", "error")),
}
_secret_types: dict[type, type] = {}


def _secret_type(cls: type) -> type:
    """The struct of an event type's sealed values, with the event's own constraints, so the
    opened values are checked as strictly as a plain event's."""
    found = _secret_types.get(cls)
    if found is None:
        spec, types = SPECS[cls], {f.name: f.type for f in msgspec.structs.fields(cls)}
        members: list[Any] = [(name, types[name])
                              for name in (*spec.texts, *spec.maps, *spec.blanks)]
        if spec.reporter:
            rtypes = {f.name: f.type for f in msgspec.structs.fields(ev.Reporter)}
            members.append(("reporter", msgspec.defstruct(
                "ReporterSecret", [(n, rtypes[n]) for n in (*_REPORTER_TEXT, *_REPORTER_EMPTY)],
                forbid_unknown_fields=True)))
        if spec.attachments:
            members.append(("attachments", list[ev.ShortText]))
        found = msgspec.defstruct(f"{cls.__name__}Secret", members, forbid_unknown_fields=True)
        _secret_types[cls] = found
    return found


def _covered(event, spec: Spec, text: str, empty: str) -> tuple[dict, dict]:
    """(the personal values, the event's fields with each replaced by `text`/`empty`)."""
    secret: dict[str, Any] = {}
    cover: dict[str, Any] = {}
    for name in spec.texts:
        value = getattr(event, name)
        secret[name] = value
        cover[name] = text if value else ""
    for name in spec.maps:
        value = getattr(event, name)
        secret[name] = value
        cover[name] = dict.fromkeys(value, text)
    for name in spec.blanks:
        value = getattr(event, name)
        secret[name], cover[name] = value, type(value)()
    if spec.reporter:
        who = event.reporter
        secret["reporter"] = {n: getattr(who, n) for n in (*_REPORTER_TEXT, *_REPORTER_EMPTY)}
        cover["reporter"] = msgspec.structs.replace(
            who, name=text, organization=text if who.organization else "", email=empty,
            phone=empty)
    if spec.attachments:
        secret["attachments"] = [a.filename for a in event.attachments]
        cover["attachments"] = [msgspec.structs.replace(a, filename=text)
                                for a in event.attachments]
    return secret, cover


def _aead(event) -> bytes:
    """The associated data: the tenant, "|", then the ticket's and the event's 16-byte ids."""
    return b"".join((event.tenant.encode(), b"|", _ticket(event).bytes, event.event_id.bytes))


def _ticket(event) -> uuid.UUID:
    """The ticket whose key seals the event (an FAQ draft's: its source ticket)."""
    return getattr(event, SPECS[type(event)].ticket)


@functools.lru_cache(maxsize=4096)
def _cipher(key: bytes) -> tuple[AESGCM, bytes]:
    """The key's AES-GCM, and the key its nonces are derived with."""
    return AESGCM(key), hmac.new(key, b"lpse nonce v1", hashlib.sha256).digest()


def _nonce(nonce_key: bytes, aead: bytes, plain: bytes) -> bytes:
    """The nonce of a seal: derived from the key, the event and the values (as AES-GCM-SIV
    does), so one event seals to the same bytes each time it is encoded (a consumer's history
    row, a rebuild, a redelivery) and two different plaintexts share a nonce only with the
    chance of a random 96-bit one."""
    return hmac.new(nonce_key, aead + plain, hashlib.sha256).digest()[:12]


def seal(event, encoder: msgspec.json.Encoder) -> bytes:
    """The event's wire bytes, its personal values sealed (unchanged for other events)."""
    spec = SPECS.get(type(event))
    if spec is None or (spec.staff_only and event.actor.role == "system"):
        return encoder.encode(event)
    store = keystore()
    if spec.reporter:  # a received ticket: its key and its reporter's index row at once
        key = store.key_of_reporter(event.tenant, event.ticket_id, event.reporter.email)
    else:
        key = store.key_for(event.tenant, _ticket(event), create=True)
    if key is None:  # erased: what is written after an erase keeps nothing of the person
        return encoder.encode(msgspec.structs.replace(event, **_covered(event, spec, ERASED,
                                                                        "")[1]))
    secret, cover = _covered(event, spec, WIRE, "")
    if spec.attachments and event.attachments:
        store.add_parts(event.tenant, _ticket(event), [a.id for a in event.attachments])
    cipher, nonce_key = _cipher(key)
    plain, aead = encoder.encode(secret), _aead(event)
    nonce = _nonce(nonce_key, aead, plain)
    sealed = nonce + cipher.encrypt(nonce, plain, aead)
    body = encoder.encode(msgspec.structs.replace(event, **cover))
    return b"".join((body[:-1], _TAIL, binascii.b2a_base64(sealed, newline=False), b'"}'))


def split(data: bytes) -> tuple[bytes, bytes | None]:
    """(the event's JSON without `sealed`, the sealed bytes or None). `sealed` is always the
    last member, so it is found from the end; strings inside the event cannot fake it (their
    quotes are escaped)."""
    if not data.endswith(b'"}'):
        return data, None
    at = data.rfind(_TAIL)
    if at < 0:
        return data, None
    token = data[at + len(_TAIL):-2]
    try:
        return data[:at] + b"}", binascii.a2b_base64(token, strict_mode=True)
    except binascii.Error:
        raise SealBroken("`sealed` bukan base64 / not base64") from None


def unseal(event, sealed: bytes, key_for=None):
    """The event with its personal values opened; with placeholders when its key is gone.
    `key_for(tenant, ticket_id)` gives the key (default: the process's key store); a bulk
    rebuild passes its own, which asks the store once per ticket."""
    spec = SPECS.get(type(event))
    if spec is None:
        raise SealBroken(f"{event.tag} tidak membawa data tersegel / carries no sealed data")
    key = (key_for or keystore().key_for)(event.tenant, _ticket(event))
    if key is None:
        return msgspec.structs.replace(event, **_covered(event, spec, ERASED, "")[1])
    try:
        plain = _cipher(key)[0].decrypt(sealed[:12], sealed[12:], _aead(event))
    except (InvalidTag, ValueError):
        raise SealBroken("segel data pribadi tidak cocok dengan event ini / the sealed part "
                         "does not open for this event") from None
    secret = msgspec.json.decode(plain, type=_secret_type(type(event)))
    values: dict[str, Any] = {n: getattr(secret, n)
                              for n in (*spec.texts, *spec.maps, *spec.blanks)}
    if spec.reporter:
        who = secret.reporter
        values["reporter"] = msgspec.structs.replace(
            event.reporter, **{n: getattr(who, n) for n in (*_REPORTER_TEXT, *_REPORTER_EMPTY)})
    if spec.attachments:
        if len(secret.attachments) != len(event.attachments):
            raise SealBroken("jumlah lampiran tersegel berbeda / attachment count differs")
        values["attachments"] = [msgspec.structs.replace(a, filename=name)
                                 for a, name in zip(event.attachments, secret.attachments)]
    return msgspec.structs.replace(event, **values)


def sealed_paths(cls: type) -> list[str]:
    """The JSON paths of an event type's sealed values (for the published schemas)."""
    spec = SPECS.get(cls)
    if spec is None:
        return []
    paths = [*spec.texts, *(f"{name}.*" for name in (*spec.maps, *spec.blanks))]
    if spec.reporter:
        paths += [f"reporter.{n}" for n in (*_REPORTER_TEXT, *_REPORTER_EMPTY)]
    if spec.attachments:
        paths.append("attachments[].filename")
    return paths


def schema_of_seal(cls: type) -> dict:
    """The JSON Schema of the `sealed` member of an event type that has one."""
    paths = ", ".join(f"`{p}`" for p in sealed_paths(cls))
    return {
        "type": "string", "pattern": r"^v1\.[A-Za-z0-9+/]+={0,2}$",
        "description": (
            f"Data pribadi tersegel / sealed personal data: {paths} carry `{WIRE}` (e-mail and "
            "phone: \"\") on the wire; their values are this AES-256-GCM ciphertext under the "
            "ticket's key (base64 of 12-byte nonce + ciphertext + tag; associated data: tenant, "
            "\"|\", ticket_id (an FAQ draft: source_ticket_id) and event_id as 16 bytes each). Without the key (erased) the "
            f"values read `{ERASED}`. Absent on events stored before sealing: their values "
            "are in clear" + ("; and when the system (not staff) wrote the event: nothing of it"
                              " is personal." if SPECS[cls].staff_only else ".")),
    }
