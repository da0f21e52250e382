"""library operations: runtime settings, preferences, statistics roll-ups, fingerprints,
storage pauses, notifications, and indexes for a library of a million downloads

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mediadl.db.dialect import (
    drop_rollup_ddl,
    rebuild_rollups_sql,
    rollup_ddl,
)

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

CORE_INDEXES = (
    ('downloads', 'ix_downloads_created', ['created_at']),
    ('downloads', 'ix_downloads_platform_created', ['platform', 'created_at']),
    ('downloads', 'ix_downloads_kind_created', ['kind', 'created_at']),
    ('downloads', 'ix_downloads_owner_kind_created', ['owner_id', 'kind', 'created_at']),
    ('downloads', 'ix_downloads_owner_platform_kind', ['owner_id', 'platform', 'kind', 'created_at']),
    ('downloads', 'ix_downloads_size', ['size']),
    ('downloads', 'ix_downloads_owner_sha256', ['owner_id', 'sha256']),
    ('jobs', 'ix_jobs_order', ['priority_rank', 'position', 'id']),
    ('jobs', 'ix_jobs_owner_order', ['owner_id', 'priority_rank', 'position']),
    ('jobs', 'ix_jobs_finished', ['finished_at', 'status']),
    ('jobs', 'ix_jobs_owner_finished', ['owner_id', 'finished_at', 'status']),
    ('jobs', 'ix_jobs_updated', ['updated_at']),
)


def upgrade() -> None:
    _settings_tables()
    _rollup_tables()
    _library_tables()
    _notification_tables()
    for table, name, columns in CORE_INDEXES:
        op.create_index(name, table, columns, unique=False)
    dialect = op.get_bind().dialect.name
    for statement in (*rollup_ddl(dialect), *rebuild_rollups_sql(dialect)):
        op.execute(statement)


def _settings_tables() -> None:
    op.create_table('runtime_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', JSON, nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_runtime_settings_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_runtime_settings'))
    )
    op.create_table('user_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('values', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_preferences'))
    )


def _rollup_tables() -> None:
    op.create_table('library_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('download_count', sa.BigInteger(), nullable=False),
    sa.Column('byte_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'platform', 'owner_id', name=op.f('pk_library_daily'))
    )
    op.create_index('ix_library_daily_owner_day', 'library_daily', ['owner_id', 'day'], unique=False)
    op.create_table('library_totals',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('download_count', sa.BigInteger(), nullable=False),
    sa.Column('byte_count', sa.BigInteger(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('owner_id', 'platform', 'kind', name=op.f('pk_library_totals'))
    )
    op.create_table('library_sources',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('download_count', sa.BigInteger(), nullable=False),
    sa.Column('byte_count', sa.BigInteger(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('owner_id', 'platform', 'source', name=op.f('pk_library_sources'))
    )
    op.create_index('ix_library_sources_platform_source', 'library_sources', ['platform', 'source', 'download_count', 'byte_count', 'last_at'], unique=False)
    op.create_table('job_counts',
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('job_count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('owner_id', 'platform', 'status', name=op.f('pk_job_counts'))
    )


def _library_tables() -> None:
    op.create_table('download_fingerprints',
    sa.Column('download_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('dhash', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['download_id'], ['downloads.id'], name=op.f('fk_download_fingerprints_download_id_downloads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('download_id', name=op.f('pk_download_fingerprints'))
    )
    op.create_index(op.f('ix_download_fingerprints_owner_id'), 'download_fingerprints', ['owner_id'], unique=False)
    op.create_table('storage_pauses',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('paused_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_storage_pauses_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_storage_pauses'))
    )


def _notification_tables() -> None:
    op.create_table('notification_channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sealed_url', sa.Text(), nullable=False),
    sa.Column('url_preview', sa.String(length=255), nullable=False),
    sa.Column('events', JSON, nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_notification_channels_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_channels'))
    )
    op.create_index(op.f('ix_notification_channels_owner_id'), 'notification_channels', ['owner_id'], unique=False)
    op.create_table('notification_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_notification_events_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_events')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_events_key'))
    )
    op.create_index(op.f('ix_notification_events_owner_id'), 'notification_events', ['owner_id'], unique=False)
    op.create_index(op.f('ix_notification_events_created_at'), 'notification_events', ['created_at'], unique=False)
    op.create_table('notification_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['notification_channels.id'], name=op.f('fk_notification_deliveries_channel_id_notification_channels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['notification_events.id'], name=op.f('fk_notification_deliveries_event_id_notification_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries'))
    )
    op.create_index('ix_notification_deliveries_due', 'notification_deliveries', ['status', 'not_before'], unique=False)
    op.create_index(op.f('ix_notification_deliveries_event_id'), 'notification_deliveries', ['event_id'], unique=False)
    op.create_index(op.f('ix_notification_deliveries_channel_id'), 'notification_deliveries', ['channel_id'], unique=False)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_rollup_ddl(dialect):
        op.execute(statement)
    for table, name, _columns in reversed(CORE_INDEXES):
        op.drop_index(name, table_name=table)
    for table in ('notification_deliveries', 'notification_events', 'notification_channels',
                  'storage_pauses', 'download_fingerprints', 'job_counts', 'library_sources',
                  'library_totals', 'library_daily', 'user_preferences', 'runtime_settings'):
        op.drop_table(table)
