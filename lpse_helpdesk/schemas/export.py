"""JSON Schema of every event and the AsyncAPI 3.0 document of the bus, generated from the structs.

Downstream systems subscribe from these files without reading Python.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from . import sealing
from .codec import FAQ_HEADER, STREAM, STREAM_SUBJECTS, SUBJECT_PREFIX, TICKET_HEADER
from .events import ALL_EVENTS, OWNERS, SCHEMA_VERSION
from .faq import FAQ_EVENTS

EVERY_EVENT = (*ALL_EVENTS, *FAQ_EVENTS)


def _tag(event_type: type) -> str:
    return event_type.__struct_config__.tag


def _with_seal(schema: dict, event_type: type) -> None:
    """The wire form of an event whose personal values are sealed (`sealing.py`)."""
    if sealing.sealed_paths(event_type):
        schema["properties"]["sealed"] = sealing.schema_of_seal(event_type)


def json_schemas() -> dict[str, dict]:
    """One standalone JSON Schema document per event tag."""
    out = {}
    for event_type in EVERY_EVENT:
        schema = msgspec.json.schema(event_type)
        _with_seal(schema["$defs"][event_type.__name__], event_type)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = _tag(event_type)
        out[_tag(event_type)] = schema
    return out


def asyncapi() -> dict:
    _, components = msgspec.json.schema_components(
        EVERY_EVENT, ref_template="#/components/schemas/{name}"
    )
    for event_type in EVERY_EVENT:
        _with_seal(components[event_type.__name__], event_type)
    owner_of = {_tag(t): svc for svc, types in OWNERS.items() for t in types}
    owner_of.update({_tag(t): "faq_publisher" for t in FAQ_EVENTS})
    channels, operations, messages = {}, {}, {}
    for event_type in EVERY_EVENT:
        tag = _tag(event_type)
        kind, short = tag.split(".", 1)
        name = short if kind == "ticket" else f"faq_{short}"
        key = "ticket_id" if kind == "ticket" else "entry_id"
        header = TICKET_HEADER if kind == "ticket" else FAQ_HEADER
        what = "ticket" if kind == "ticket" else "FAQ entry"
        messages[name] = {
            "name": tag,
            "title": tag,
            "summary": (event_type.__doc__ or "").strip().splitlines()[0] if event_type.__doc__ else tag,
            "contentType": "application/json",
            "headers": {"type": "object", "required": ["Nats-Msg-Id", header], "properties": {
                "Nats-Msg-Id": {"type": "string", "description": "= event_id (dedup)"},
                header: {"type": "string", "format": "uuid",
                         "description": f"= {key}: the {what} the event belongs to"}}},
            "payload": {"$ref": f"#/components/schemas/{event_type.__name__}"},
        }
        channels[name] = {
            "address": f"{SUBJECT_PREFIX}.{{tenant}}.{kind}.{short}",
            "parameters": {
                "tenant": {"description": "unit id: batubara, lampung, tuban, basarnas, batam"},
            },
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"publish_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "summary": f"published by the {owner_of.get(tag, '?')} service",
            "x-owner": owner_of.get(tag),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "LPSE Helpdesk ticket events",
            "version": str(SCHEMA_VERSION),
            "description": (
                f"All events are stored in the JetStream stream `{STREAM}` "
                f"(subjects {', '.join(STREAM_SUBJECTS)}); JSON bodies with a `type` tag. "
                "Subscribe with a durable consumer and deduplicate on `event_id`. Subjects "
                "name the unit and the event, not the ticket: every message carries its ticket "
                f"in the header `{TICKET_HEADER}` (an FAQ entry's in `{FAQ_HEADER}`, the "
                "envelope's `ticket_id`/`entry_id` too). To follow one ticket, subscribe to "
                f"`{SUBJECT_PREFIX}.<tenant>.ticket.>` and keep the messages whose "
                f"`{TICKET_HEADER}` is its id. Events published before this scheme have "
                f"`{SUBJECT_PREFIX}.<tenant>.ticket.<ticket_id>.<event>` and no such header; "
                "`>` matches both while the stream keeps them (30 days). Reporters' "
                "personal values are sealed with their ticket's key (member `sealed`, "
                "docs/privacy.md): a subscriber outside the helpdesk sees placeholders."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"embedded": {"host": "127.0.0.1:4222", "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components},
        "x-nats-stream": {"name": STREAM, "subjects": STREAM_SUBJECTS},
    }


def write_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for tag, schema in json_schemas().items():
        path = out_dir / f"{tag}.schema.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    path = out_dir / "asyncapi.json"
    path.write_text(json.dumps(asyncapi(), indent=2, ensure_ascii=False) + "\n")
    written.append(path)
    return written
