"""scale-out: broker hint times and instance values

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("hinted_at", sa.DateTime(), nullable=True))
    op.create_table(
        "instance_values",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_instance_values")),
    )


def downgrade() -> None:
    op.drop_table("instance_values")
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("hinted_at")
