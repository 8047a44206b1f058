"""``store:`` section: where events, evidence and the delivery outbox live."""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

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

    @field_validator("url")
    @classmethod
    def _usable_url(cls, url: SecretStr) -> SecretStr:
        # check-config must refuse what the store would refuse at start. Imported here:
        # SQLAlchemy and Alembic load only when a file names a URL.
        from sitewatch.store.engine import StoreUrlError, parse_url

        try:
            port = parse_url(url.get_secret_value()).port
        except StoreUrlError as exc:
            raise ValueError(str(exc)) from None  # its message never holds the password
        except ValueError:
            # Raised by SQLAlchemy (a port that is not a number); its text quotes the URL.
            raise ValueError(
                "invalid database URL (expected sqlite:///FILE or postgresql://USER@HOST/DB)"
            ) from None
        if port is not None and not 1 <= port <= 65535:
            raise ValueError(f"invalid database URL: port {port} is not from 1 to 65535")
        return url
