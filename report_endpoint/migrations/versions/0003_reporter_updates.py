"""Updates to reporters who ask for them: the report keeps the language it
was made in and whether updates were asked for, and the outbox holds each
message until it is sent (report_endpoint/updates.py).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reports") as table:
        table.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
        table.add_column(sa.Column("updates_wanted", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("stop_token_hash", sa.String(64)))
        table.create_index("ix_reports_stop_token_hash", ["stop_token_hash"], unique=True)
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id", ondelete="CASCADE")),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("payload", sa.LargeBinary),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("claimed_until", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("last_error", sa.String(200)),
    )
    op.create_index("ix_outbox_due", "outbox", ["sent_at", "due_at"])
    op.create_index("ix_outbox_report_id", "outbox", ["report_id"])


def downgrade():
    op.drop_table("outbox")
    with op.batch_alter_table("reports") as table:
        table.drop_index("ix_reports_stop_token_hash")
        table.drop_column("stop_token_hash")
        table.drop_column("updates_wanted")
        table.drop_column("language")
