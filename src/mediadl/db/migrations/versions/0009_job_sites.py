"""jobs.site: the link's site, for per-site concurrency limits

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mediadl.core.hosts import site_of

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Only these platforms count running jobs per site; other rows keep "".
MULTI_SITE_PLATFORMS = ("generic", "forum", "imagehost")
BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("site", sa.String(length=255), nullable=False,
                                      server_default=""))
    _fill_sites(op.get_bind())


def _fill_sites(connection: sa.Connection) -> None:
    jobs = sa.table("jobs", sa.column("id", sa.Integer), sa.column("url", sa.Text),
                    sa.column("platform", sa.String), sa.column("site", sa.String))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(jobs.c.id, jobs.c.url)
            .where(jobs.c.id > last_id, jobs.c.platform.in_(MULTI_SITE_PLATFORMS))
            .order_by(jobs.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(sa.update(jobs).where(jobs.c.id == sa.bindparam("job_id"))
                           .values(site=sa.bindparam("job_site")),
                           [{"job_id": row.id, "job_site": site_of(row.url)} for row in rows])
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("site")
