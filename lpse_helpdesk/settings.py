"""Settings, built once in `Settings.from_env()` (or by the CLI from flags) and passed down.

Nothing reads the environment at import time: tests build their own `Settings`.

The rules every value must follow are the field annotations below (msgspec constraints), and
`from_env` is the one place that decodes the environment's strings and the flags against them:
a bad value is one `SettingsError` that names the variable or flag it came from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import msgspec

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Count = Annotated[int, msgspec.Meta(ge=1)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Seconds = Positive
Replicas = Annotated[int, msgspec.Meta(ge=1, le=5)]  # JetStream allows at most 5
WorkerCount = Annotated[int, msgspec.Meta(ge=1, le=4)]  # `up`'s four background services
_URLS = r"(nats|tls|ws|wss)://[^\s,]+"
NatsUrl = Annotated[str, msgspec.Meta(pattern=rf"^\s*{_URLS}(\s*,\s*{_URLS})*\s*$")]
DatabaseUrl = Annotated[str, msgspec.Meta(pattern=r"^(|postgres(ql)?://.*)$")]
SmtpUrl = Annotated[str, msgspec.Meta(pattern=r"^(|smtps?://.*)$")]
HttpUrl = Annotated[str, msgspec.Meta(pattern=r"^(|https?://.*)$")]

# Where each value comes from: the environment variable, and the flag that overrides it.
ENV = {
    "data_dir": "HELPDESK_DATA_DIR", "nats_url": "HELPDESK_NATS_URL",
    "stream_replicas": "HELPDESK_STREAM_REPLICAS", "database_url": "HELPDESK_DATABASE_URL",
    "smtp_url": "HELPDESK_SMTP_URL", "public_url": "HELPDESK_PUBLIC_URL",
    "api_url": "HELPDESK_API_URL", "standards_dir": "HELPDESK_STANDARDS_DIR",
    "http_port": "HELPDESK_HTTP_PORT", "smtp_port": "HELPDESK_SMTP_PORT",
    "nats_port": "HELPDESK_NATS_PORT",
    "reporter_mails_per_hour": "HELPDESK_REPORTER_MAILS_PER_HOUR",
    "nats_ca_file": "HELPDESK_NATS_CA",
    "rate_tickets_per_minute": "HELPDESK_RATE_TICKETS_PER_MINUTE",
    "rate_uploads_per_minute": "HELPDESK_RATE_UPLOADS_PER_MINUTE",
    "rate_logins_per_minute": "HELPDESK_RATE_LOGINS_PER_MINUTE",
    "rate_votes_per_minute": "HELPDESK_RATE_VOTES_PER_MINUTE",
    "rate_mails_per_sender_per_hour": "HELPDESK_RATE_MAILS_PER_SENDER_PER_HOUR",
    "upload_bytes_per_client_per_hour": "HELPDESK_UPLOAD_BYTES_PER_CLIENT_PER_HOUR",
    "uploads_expire_hours": "HELPDESK_UPLOADS_EXPIRE_HOURS",
    "attachments_max_bytes": "HELPDESK_ATTACHMENTS_MAX_BYTES",
    "stream_max_age_days": "HELPDESK_STREAM_MAX_AGE_DAYS",
    "stream_max_bytes": "HELPDESK_STREAM_MAX_BYTES",
    "mail_domain": "HELPDESK_MAIL_DOMAIN", "mail_from": "HELPDESK_MAIL_FROM",
    "workers": "HELPDESK_WORKERS",
}
FLAGS = {"nats_url": "--nats", "database_url": "--database"}  # the others: --field-name
# What a URL must look like, said instead of the pattern it failed.
FORMS = {"nats_url": "nats://host:port[,nats://host:port...]",
         "database_url": "postgresql://user@host:port/db", "smtp_url": "smtp(s)://host:port",
         "public_url": "http(s)://host[:port]", "api_url": "http(s)://host[:port]"}


class SettingsError(ValueError):
    """A bad setting or argument; its text is the one line the command line prints."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("helpdesk-data")
    # One URL, or several separated by commas (every node of a NATS cluster).
    nats_url: NatsUrl = "nats://127.0.0.1:4222"
    # The CA that signed a NATS cluster's certificates, for `tls://` URLs (deploy/nats/make-tls.sh);
    # None: the system's CAs.
    nats_ca_file: Path | None = None
    # Copies JetStream keeps of the TICKETS stream, the TICKET_DECISIONS bucket and the
    # ATTACHMENTS object store: 1 for a single nats-server, 3 on a three-node cluster.
    stream_replicas: Replicas = 1
    # How long TICKETS keeps a message (days; 0: for ever) and its size cap (bytes; 0: none,
    # and at the cap new publishes wait in the outboxes). Older events stay in the stores and
    # come back with `stream refill` (docs/production.md, "Retention").
    stream_max_age_days: Annotated[float, msgspec.Meta(ge=0)] = 30.0
    stream_max_bytes: Annotated[int, msgspec.Meta(ge=0)] = 0
    # A `postgresql://` URL switches every service store to PostgreSQL; empty = SQLite files.
    database_url: DatabaseUrl = ""
    smtp_url: SmtpUrl = ""  # outbound mail: smtp://user:pass@host:port (smtps:// for TLS)
    public_url: HttpUrl = ""  # where reporters open status links; default http://<host>:<port>
    # The right-hand side of the helpdesk's Message-IDs; default the public URL's host, else the
    # unit's address's domain (notify/threads.py). And the From of units that send from the
    # helpdesk's own domain (`[mail] sending = "helpdesk"`); empty: the unit's own address.
    mail_domain: Annotated[str, msgspec.Meta(pattern=r"^$|^[A-Za-z0-9.-]+\.[A-Za-z]{2,63}$")] = ""
    mail_from: Annotated[str, msgspec.Meta(pattern=r"^$|^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")] = ""
    # Where the web view and portal call the REST API; default this process's own HTTP port.
    api_url: HttpUrl = ""
    standards_dir: Path | None = None
    http_host: str = "127.0.0.1"
    http_port: Port = 8000
    smtp_port: Port | None = None  # intake's SMTP listener; None = no listener
    # The port `up` starts its embedded nats-server on (`run` connects to `nats_url`).
    nats_port: Port = 4222
    # `up`'s worker processes for the services after `classified` (platform/embedded.py):
    # each background service runs in one of them; at most 4, the number of those services.
    workers: WorkerCount = 1
    # Tracked consumers: attempts before a message becomes a dead letter, and backoff bounds.
    max_attempts: Count = 5
    retry_base_delay: Seconds = 0.5
    retry_max_delay: Seconds = 30.0
    # Largest accepted HTTP body / bus message, in bytes.
    max_body_bytes: Count = 256 * 1024
    # Mails to one reporter address an hour (notify/limits.py): anyone can type a stranger's
    # address into the form, so more than a busy reporter's ticket causes are not sent.
    reporter_mails_per_hour: Count = 10
    # Requests a minute per client address at each anonymous door (platform/ratelimit.py).
    rate_tickets_per_minute: Count = 10
    rate_uploads_per_minute: Count = 30
    rate_logins_per_minute: Count = 10
    rate_votes_per_minute: Count = 30
    # Mails one sender address may send to intake's SMTP listener an hour (intake/smtp.py).
    rate_mails_per_sender_per_hour: Count = 20
    # Uploads before a ticket (intake/uploads.py): bytes per client address an hour, hours an
    # unused upload is kept, and the cap of the attachments' object store, below JetStream's
    # storage so that files never take the ticket stream's room.
    upload_bytes_per_client_per_hour: Count = 50_000_000
    uploads_expire_hours: Positive = 6.0
    attachments_max_bytes: Count = 2 * 1024**3
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        """The environment's `HELPDESK_*` values, then `overrides` (the flags) over them,
        decoded and checked; raises `SettingsError` naming the first bad one's source."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, variable in ENV.items():
            if env.get(variable):  # set but empty counts as unset
                values[name], sources[name] = env[variable], variable
        for name, value in overrides.items():
            if value is not None:
                values[name], sources[name] = value, FLAGS.get(name, "--" + name.replace("_", "-"))
        try:
            settings = msgspec.convert(values, cls, strict=False, dec_hook=_path)
        except msgspec.ValidationError as exc:
            raise _error(str(exc), values, sources) from None
        if settings.data_dir.exists() and not settings.data_dir.is_dir():
            raise SettingsError(f"{sources.get('data_dir', ENV['data_dir'])}: "
                                f"`{settings.data_dir}` bukan folder / is not a folder")
        return settings

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


def checked(text: str, kind: Any) -> Any:
    """`text` (a flag's value) decoded as `kind`, one of the constrained types above; the
    error says what is wrong, the caller says which flag."""
    try:
        return msgspec.convert(text, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"nilai `{text}` tidak sah / invalid value: {exc}") from None


def _path(kind: type, value: Any) -> Any:
    if kind is Path:
        return Path(value)
    raise NotImplementedError(kind)


def _error(message: str, values: dict[str, Any], sources: dict[str, str]) -> SettingsError:
    found = re.search(r" - at `\$\.(\w+)`$", message)
    name = found and found.group(1)
    if not name:
        return SettingsError(f"pengaturan tidak sah / invalid setting: {message}")
    reason = message[:found.start()]
    # A URL that may carry a password is not echoed back.
    shown = "..." if name in ("database_url", "smtp_url") else values.get(name)
    if "matching regex" in reason:
        reason = f"harus berbentuk / must look like {FORMS.get(name, reason)}"
    return SettingsError(f"{sources.get(name, name)}: nilai `{shown}` tidak sah"
                         f" / invalid value: {reason}")
