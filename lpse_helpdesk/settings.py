"""Settings, built once in `Settings.from_env()` (or by the CLI from flags) and passed down.

Nothing reads the environment at import time: tests build their own `Settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("helpdesk-data")
    # One URL, or several separated by commas (every node of a NATS cluster).
    nats_url: str = "nats://127.0.0.1:4222"
    # Copies JetStream keeps of the TICKETS stream, the TICKET_DECISIONS bucket and the
    # ATTACHMENTS object store: 1 for a single nats-server, 3 on a three-node cluster.
    stream_replicas: int = 1
    # A `postgresql://` URL switches every service store to PostgreSQL; empty = SQLite files.
    database_url: str = ""
    smtp_url: str = ""  # outbound mail: smtp://user:pass@host:port (smtps:// for TLS)
    public_url: str = ""  # where reporters open status links; default http://<host>:<port>
    # Where the web view and portal call the REST API; default this process's own HTTP port.
    api_url: str = ""
    standards_dir: Path | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    smtp_port: int | None = None  # intake's SMTP listener; None = no listener
    # Tracked consumers: attempts before a message becomes a dead letter, and backoff bounds.
    max_attempts: int = 5
    retry_base_delay: float = 0.5
    retry_max_delay: float = 30.0
    # Largest accepted HTTP body / bus message, in bytes.
    max_body_bytes: int = 256 * 1024
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        env = dict(os.environ if env is None else env)
        base = cls()
        values = {
            "data_dir": Path(env.get("HELPDESK_DATA_DIR", base.data_dir)),
            "nats_url": env.get("HELPDESK_NATS_URL", base.nats_url),
            "stream_replicas": int(env.get("HELPDESK_STREAM_REPLICAS") or base.stream_replicas),
            "database_url": env.get("HELPDESK_DATABASE_URL", base.database_url),
            "smtp_url": env.get("HELPDESK_SMTP_URL", base.smtp_url),
            "public_url": env.get("HELPDESK_PUBLIC_URL", base.public_url),
            "api_url": env.get("HELPDESK_API_URL", base.api_url),
            "standards_dir": Path(env["HELPDESK_STANDARDS_DIR"])
            if env.get("HELPDESK_STANDARDS_DIR")
            else None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(base, **values)

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))
