"""The analysts' workspace: accounts, enrolment links, and the hosting
country of each assessed address (report_endpoint/workspace/).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("reported_urls", sa.Column("hosting_country", sa.String(2)))
    op.create_table(
        "analysts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("passphrase_hash", sa.String(200)),
        sa.Column("totp_secret", sa.LargeBinary),
        sa.Column("totp_last_step", sa.Integer),
        sa.Column("session_epoch", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("enrolled_at", sa.DateTime),
        sa.Column("disabled_at", sa.DateTime),
    )
    op.create_index("ix_analysts_name", "analysts", ["name"], unique=True)
    op.create_table(
        "analyst_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("analyst_id", sa.Integer, sa.ForeignKey("analysts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
    )
    op.create_index("ix_analyst_tokens_analyst_id", "analyst_tokens", ["analyst_id"])
    op.create_index("ix_analyst_tokens_token_hash", "analyst_tokens", ["token_hash"], unique=True)


def downgrade():
    op.drop_table("analyst_tokens")
    op.drop_table("analysts")
    with op.batch_alter_table("reported_urls") as batch:
        batch.drop_column("hosting_country")
