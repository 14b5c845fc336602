"""Reports, reported URLs, notices, audit trail.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("seen_on", sa.String(32), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("contact", sa.LargeBinary),
        sa.Column("all_known", sa.Boolean, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("stage_changed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_reports_reference", "reports", ["reference"], unique=True)
    op.create_index("ix_reports_created_at", "reports", ["created_at"])
    op.create_index("ix_reports_stage", "reports", ["stage"])
    op.create_table(
        "reported_urls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("known_before", sa.Boolean, nullable=False),
        sa.Column("assessment", sa.String(32)),
        sa.Column("assessed_at", sa.DateTime),
        sa.Column("removed_at", sa.DateTime),
    )
    op.create_index("ix_reported_urls_report_id", "reported_urls", ["report_id"])
    op.create_index("ix_reported_urls_url", "reported_urls", ["url"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url_id", sa.Integer, sa.ForeignKey("reported_urls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_notices_url_id", "notices", ["url_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(8)),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_reference", "audit_events", ["reference"])


def downgrade():
    op.drop_table("audit_events")
    op.drop_table("notices")
    op.drop_table("reported_urls")
    op.drop_table("reports")
