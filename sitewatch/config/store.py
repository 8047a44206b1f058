"""``store:`` section: where events, evidence and the delivery outbox live."""

from pathlib import Path

from pydantic import Field, SecretStr

from sitewatch.config.base import Section


class StoreSettings(Section):
    # SecretStr because a PostgreSQL URL may carry a password; it must never be logged or served.
    url: SecretStr = Field(
        SecretStr("sqlite:///sitewatch.db"),
        description="SQLAlchemy URL: a SQLite file (default) or postgresql://user:pass@host/db",
    )
    evidence_dir: Path | None = Field(
        None,
        description="where snapshot JPEGs go; default: 'evidence' beside a SQLite file, else ./evidence",
    )
    buffer_max_changes: int = Field(
        10_000,
        ge=10,
        le=1_000_000,
        description="event changes held in memory while the database is unreachable",
    )
    retry_interval_s: float = Field(
        5.0, ge=0, le=3600, description="how often to retry an unreachable database while buffering"
    )
