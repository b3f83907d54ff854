"""Walking a helpdesk's data for a person's values after an erase (tests/e2e/test_personal_data.py):
every file under a folder byte by byte, every row of a PostgreSQL schema, the object store, and
a webhook receiver that keeps what downstream systems are sent."""

from __future__ import annotations

import base64
import json
from pathlib import Path


def forms(value: str) -> set[bytes]:
    """How a value may sit in a file: as typed, case-folded (search text), JSON-escaped,
    UTF-16, base64 (at each of the three alignments, edges cut)."""
    out = set()
    for text in {value, value.casefold(), value.upper()}:
        raw = text.encode()
        out |= {raw, json.dumps(text)[1:-1].encode(), text.encode("utf-16-le")}
        for pad in range(3):
            encoded = base64.b64encode(b"\0" * pad + raw)
            out.add(encoded[4:-4] if len(encoded) > 12 else encoded)
    return out


def leaks(folder: Path, values: dict) -> list[str]:
    """`file: key` for every value of `values` found in a file under `folder`."""
    wanted = {key: forms(value) if isinstance(value, str) else {value}
              for key, value in values.items()}
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.relative_to(folder)}: {key}" for key, patterns in wanted.items()
                  if any(pattern in data for pattern in patterns)]
    return found


def pg_rows(url: str, values: dict) -> list[str]:
    """`table: key` for every value found in a row of the run's PostgreSQL schema."""
    from urllib.parse import parse_qs, urlsplit

    import psycopg

    schema = parse_qs(urlsplit(url).query)["schema"][0]
    base = urlsplit(url)._replace(query="").geturl()
    found = []
    with psycopg.connect(base) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,))]
        for table in tables:
            text = "\n".join(r[0] for r in conn.execute(
                f'SELECT t::text FROM "{schema}"."{table}" t')).casefold()
            found += [f"{table}: {key}" for key, value in values.items()
                      if isinstance(value, str) and value.casefold() in text]
    return found


class Hooks:
    """A downstream system's webhook receiver: keeps every body it is sent."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from threading import Thread

        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        Thread(target=self.server.serve_forever, daemon=True).start()


async def stored_file(nats_url: str, attachment_id: str) -> bool:
    """Whether the object store still holds the file."""
    import nats
    from nats.js.errors import ObjectNotFoundError

    nc = await nats.connect(nats_url)
    try:
        store = await nc.jetstream().object_store("ATTACHMENTS")
        await store.get_info(attachment_id)
        return True
    except ObjectNotFoundError:
        return False
    finally:
        await nc.close()
