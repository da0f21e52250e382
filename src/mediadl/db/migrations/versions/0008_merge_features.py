"""merge the feature branches into one line of history

The first feature migrations were written side by side, each on top of 0001; this joins them
so every later migration has exactly one parent.

Revision ID: 0008
Revises: 0002, 0003, 0004, 0005, 0006, 0007
Create Date: 2026-11-21
"""
from __future__ import annotations

revision = "0008"
down_revision = ("0002", "0003", "0004", "0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
