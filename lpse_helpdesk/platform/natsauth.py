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
import os
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
    "$JS.API.STREAM.NAMES",
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
        """The `authorization` block of nats-server's configuration, passwords written in."""
        return users_config(json.dumps(self.service_password),
                            json.dumps(self.subscriber_password))


def users_config(service_password: str, subscriber_password: str) -> str:
    """The `authorization` block with the two users; each password is a quoted string, or a
    `$VARIABLE` that nats-server reads from its environment (deploy/nats/users.conf)."""
    def allow(subjects: list[str]) -> str:
        return "[" + ", ".join(json.dumps(s) for s in subjects) + "]"

    return (
        "authorization {\n  users = [\n"
        f"    {{user: {SERVICE_USER}, password: {service_password}}}\n"
        f"    {{user: {SUBSCRIBER_USER}, password: {subscriber_password}, permissions: {{\n"
        f"      publish: {{allow: {allow(SUBSCRIBER_PUBLISH)}}}\n"
        f"      subscribe: {{allow: {allow(SUBSCRIBER_SUBSCRIBE)}}}\n"
        "    }}\n  ]\n}\n"
    )


CLUSTER_USERS_HEADER = """\
# The users of the helpdesk's NATS cluster, included by cluster-node*.conf and compose-node.conf.
# Made by lpse_helpdesk/platform/natsauth.py (tests/e2e/test_deploy_nats.py keeps them equal):
# `helpdesk` for the services, `pelanggan` a read-only subscriber for downstream systems (it
# reads the TICKETS stream and makes its own consumers; it cannot publish ticket or FAQ events).
# The passwords come from the environment of nats-server (systemd: EnvironmentFile
# /etc/lpse-helpdesk/nats.env; compose: deploy/.env):
#   HELPDESK_NATS_PASSWORD=$(openssl rand -hex 24)
#   HELPDESK_NATS_SUBSCRIBER_PASSWORD=$(openssl rand -hex 24)
# The services then connect to tls://helpdesk:<password>@host:4222 (HELPDESK_NATS_URL).
"""


def cluster_users_file() -> str:
    return CLUSTER_USERS_HEADER + users_config("$HELPDESK_NATS_PASSWORD",
                                               "$HELPDESK_NATS_SUBSCRIBER_PASSWORD")


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


def command_url(settings, flag: str | None) -> str:
    """The NATS URL for an operator's command (rebuild, dead-letter replay, users): the one
    given (`--nats`, or HELPDESK_NATS_URL in the environment); else, in a folder `up` runs on,
    its embedded server as `up` left it: the address in the subscriber's URL file (`up` may have
    moved the port) with the services' user, since that server refuses connections without one."""
    folder = Path(settings.data_dir)
    users_file, address_file = folder / USERS_FILE, folder / SUBSCRIBER_URL_FILE
    if flag or "HELPDESK_NATS_URL" in os.environ or not (
            users_file.exists() and address_file.exists()):
        return settings.nats_url
    where = urlsplit(address_file.read_text().strip())
    return load_or_create(folder).service_url(where.hostname, where.port)
