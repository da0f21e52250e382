"""platforms: per-platform settings, status and throttle, download archive, skips, threads

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-21
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('platform_settings',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('default_quality', sa.String(length=16), nullable=True),
    sa.Column('min_request_interval_s', sa.Float(), nullable=True),
    sa.Column('max_concurrent_jobs', sa.Integer(), nullable=True),
    sa.Column('proxy_sealed', sa.Text(), nullable=True),
    sa.Column('cookies_sealed', sa.Text(), nullable=True),
    sa.Column('cookie_count', sa.Integer(), nullable=False),
    sa.Column('cookie_domains', JSON, nullable=False),
    sa.Column('cookies_updated_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_platform_settings'))
    )
    op.create_table('platform_status',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('success_total', sa.Integer(), nullable=False),
    sa.Column('failure_total', sa.Integer(), nullable=False),
    sa.Column('throttle_level', sa.Integer(), nullable=False),
    sa.Column('throttled_until', sa.DateTime(), nullable=True),
    sa.Column('throttle_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_platform_status'))
    )
    with op.batch_alter_table('platform_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_platform_status_throttled_until'), ['throttled_until'], unique=False)

    op.create_table('download_archive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('media_id', sa.String(length=512), nullable=False),
    sa.Column('download_id', sa.Integer(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_download_archive_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['download_id'], ['downloads.id'], name=op.f('fk_download_archive_download_id_downloads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_download_archive_job_id_jobs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_download_archive')),
    sa.UniqueConstraint('owner_id', 'platform', 'media_id', name=op.f('uq_download_archive_owner_id_platform_media_id'))
    )
    with op.batch_alter_table('download_archive', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_download_archive_download_id'), ['download_id'], unique=False)

    op.create_table('forum_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('url_key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('last_page_url', sa.Text(), nullable=True),
    sa.Column('last_post_id', sa.String(length=64), nullable=True),
    sa.Column('pages_seen', sa.Integer(), nullable=False),
    sa.Column('items_seen', sa.Integer(), nullable=False),
    sa.Column('last_checked_at', sa.DateTime(), nullable=True),
    sa.Column('last_new_at', sa.DateTime(), nullable=True),
    sa.Column('metadata', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_forum_threads_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_threads')),
    sa.UniqueConstraint('owner_id', 'url_key', name=op.f('uq_forum_threads_owner_id_url_key'))
    )
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.create_index('ix_forum_threads_last_new_at', ['last_new_at'], unique=False)

    op.create_table('skipped_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('download_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_skipped_items_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['download_id'], ['downloads.id'], name=op.f('fk_skipped_items_download_id_downloads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skipped_items')),
    sa.UniqueConstraint('job_id', 'download_id', name=op.f('uq_skipped_items_job_id_download_id'))
    )
    with op.batch_alter_table('skipped_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skipped_items_job_id'), ['job_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('skipped_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skipped_items_job_id'))
    op.drop_table('skipped_items')
    with op.batch_alter_table('forum_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_forum_threads_last_new_at')
    op.drop_table('forum_threads')
    with op.batch_alter_table('download_archive', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_download_archive_download_id'))
    op.drop_table('download_archive')
    with op.batch_alter_table('platform_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_status_throttled_until'))
    op.drop_table('platform_status')
    op.drop_table('platform_settings')
