"""Users of the embedded nats-server: the helpdesk's own services, and a read-only subscriber.

Without users, any local process could read every reporter's data from the stream and publish a
forged `faq.edited` that the public FAQ then shows. `up` therefore starts nats-server with two
users whose passwords are generated once and kept in `<data-dir>/nats-users.json` (0600):

- `helpdesk`: the services; everything.
- `pelanggan` (subscriber): for downstream systems. It may read the ticket stream (core
  subscriptions to `helpdesk.>`, and JetStream consumers of its own on `TICKETS`: create, fetch,
  ack, delete) and nothing else: no publishing of ticket or FAQ events, no other stream, no
  key-value bucket, no attachment. Its URL is written to `<data-dir>/nats-subscriber.url`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from ..schemas import STREAM
from .keys import write_private

USERS_FILE, SUBSCRIBER_URL_FILE = "nats-users.json", "nats-subscriber.url"
SERVICE_USER, SUBSCRIBER_USER = "helpdesk", "pelanggan"

# What the subscriber may publish: requests to the JetStream API about the ticket stream and
# its own consumers, and the acks and flow-control replies of its deliveries.
SUBSCRIBER_PUBLISH = [
    "$JS.API.INFO",
    f"$JS.API.STREAM.INFO.{STREAM}",
    f"$JS.API.STREAM.NAMES",
    f"$JS.API.STREAM.MSG.GET.{STREAM}",
    f"$JS.API.DIRECT.GET.{STREAM}.>",
    f"$JS.API.CONSUMER.CREATE.{STREAM}",
    f"$JS.API.CONSUMER.CREATE.{STREAM}.>",
    f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.>",
    f"$JS.API.CONSUMER.INFO.{STREAM}.>",
    f"$JS.API.CONSUMER.DELETE.{STREAM}.>",
    f"$JS.API.CONSUMER.NAMES.{STREAM}",
    f"$JS.API.CONSUMER.LIST.{STREAM}",
    f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.>",
    f"$JS.ACK.{STREAM}.>",
    "$JS.FC.>",
]
SUBSCRIBER_SUBSCRIBE = ["_INBOX.>", "helpdesk.>"]


@dataclass(frozen=True)
class BusUsers:
    service_password: str
    subscriber_password: str

    def service_url(self, host: str, port: int) -> str:
        return _url(SERVICE_USER, self.service_password, host, port)

    def subscriber_url(self, host: str, port: int) -> str:
        return _url(SUBSCRIBER_USER, self.subscriber_password, host, port)

    def server_config(self) -> str:
        """The `authorization` block of nats-server's configuration."""
        users = [
            {"user": SERVICE_USER, "password": self.service_password},
            {"user": SUBSCRIBER_USER, "password": self.subscriber_password,
             "permissions": {"publish": {"allow": SUBSCRIBER_PUBLISH},
                             "subscribe": {"allow": SUBSCRIBER_SUBSCRIBE}}},
        ]
        # nats-server's configuration format accepts JSON for a block's value.
        return f"authorization {{\n  users = {json.dumps(users, indent=2)}\n}}\n"


def _url(user: str, password: str, host: str, port: int) -> str:
    return f"nats://{quote(user)}:{quote(password, safe='')}@{host}:{port}"


def load_or_create(data_dir: Path) -> BusUsers:
    path = Path(data_dir) / USERS_FILE
    if path.exists():
        found = json.loads(path.read_text())
        return BusUsers(found["service"], found["subscriber"])
    users = BusUsers(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
    write_private(path, json.dumps({"service": users.service_password,
                                    "subscriber": users.subscriber_password}))
    return users


def write_subscriber_url(data_dir: Path, users: BusUsers, host: str, port: int) -> Path:
    path = Path(data_dir) / SUBSCRIBER_URL_FILE
    write_private(path, users.subscriber_url(host, port) + "\n")
    return path


def redacted(url: str) -> str:
    """A NATS URL (or several, comma-separated) without passwords, for logs and banners."""
    shown = []
    for one in url.split(","):
        parts = urlsplit(one.strip())
        if parts.password:
            parts = parts._replace(netloc=f"{parts.username}:***@{parts.hostname}:{parts.port}")
        shown.append(parts.geturl())
    return ",".join(shown)
