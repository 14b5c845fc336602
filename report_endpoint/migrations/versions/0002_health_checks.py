"""The row /healthz rewrites to prove the database takes a commit.

Revision ID: 0002
Revises: 0001
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "health_checks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "checked_at": dt.datetime(2026, 1, 1)}])


def downgrade():
    op.drop_table("health_checks")
