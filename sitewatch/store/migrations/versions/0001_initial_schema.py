"""Initial schema: sites, cameras, events, evidence, outbox, deliveries, API keys, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision: a migration
# must not change meaning when the models move on.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(128)
UUID_TEXT = sa.String(36)


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("contractor", sa.String(200), nullable=True),
        _time("created_at"),
    )
    op.create_table(
        "cameras",
        sa.Column("id", ID, primary_key=True),
        sa.Column("site_id", ID, sa.ForeignKey("sites.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _time("last_frame_at", nullable=True),
        _time("created_at"),
        _time("updated_at"),
    )
    op.create_table(
        "events",
        sa.Column("id", UUID_TEXT, primary_key=True),
        sa.Column("site_id", ID, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("camera_id", ID, sa.ForeignKey("cameras.id"), nullable=False),
        sa.Column("type", sa.String(32), nullable=False, index=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        _time("started_at"),
        _time("ended_at"),
        _time("closed_at", nullable=True),
        sa.Column("start_frame", sa.Integer(), nullable=False),
        sa.Column("end_frame", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        *(sa.Column(f"bbox_{c}", sa.Double(), nullable=False) for c in ("x1", "y1", "x2", "y2")),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("triage", sa.String(24), nullable=False, index=True),
        sa.Column("triage_comment", sa.Text(), nullable=True),
        sa.Column("triaged_by", sa.String(80), nullable=True),
        _time("triaged_at", nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
    )
    op.create_index("ix_events_started_id", "events", ["started_at", "id"])
    op.create_index("ix_events_site_started", "events", ["site_id", "started_at"])
    op.create_index("ix_events_camera_started", "events", ["camera_id", "started_at"])
    op.create_table(
        "evidence",
        sa.Column("id", UUID_TEXT, primary_key=True),
        sa.Column("event_id", UUID_TEXT, sa.ForeignKey("events.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=True),
        _time("captured_at", nullable=True),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("event_id", UUID_TEXT, sa.ForeignKey("events.id"), nullable=False, index=True),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("camera_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("created_at"),
    )
    op.create_index("ix_outbox_site_seq", "outbox", ["site_id", "seq"])
    op.create_table(
        "push_cursors",
        sa.Column("target", sa.String(80), primary_key=True),
        sa.Column("last_seq", SERIAL, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("outbox_seq", SERIAL, sa.ForeignKey("outbox.seq"), nullable=False),
        sa.Column("event_id", UUID_TEXT, nullable=False, index=True),
        sa.Column("site_id", ID, nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at"),
        _time("age_from"),
        sa.Column("last_error", sa.String(500), nullable=True),
        _time("created_at"),
        _time("delivered_at", nullable=True),
        sa.UniqueConstraint("target", "outbox_seq", name="uq_deliveries_target_seq"),
    )
    op.create_index("ix_deliveries_target_status_seq", "deliveries", ["target", "status", "outbox_seq"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        _time("created_at"),
        _time("revoked_at", nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        _time("at"),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=True, index=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_entity", "audit_log", ["entity_type", "entity_id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "api_keys",
        "deliveries",
        "push_cursors",
        "outbox",
        "evidence",
        "events",
        "cameras",
        "sites",
    ):
        op.drop_table(table)
