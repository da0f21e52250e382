"""realtime: one-time WebSocket tickets

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ws_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ws_tickets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ws_tickets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ws_tickets_token_hash'))
    )
    with op.batch_alter_table('ws_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ws_tickets_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ws_tickets_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ws_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ws_tickets_user_id'))
        batch_op.drop_index(batch_op.f('ix_ws_tickets_expires_at'))
    op.drop_table('ws_tickets')
