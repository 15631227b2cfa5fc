"""gap_snapshot_rows.unmet_share: the figure an "all needs" table rests on, as a column

Revision ID: i24s
Revises: i22y

An incremental refresh makes the "all needs" table from each category's need_count and
unmet_share: read as columns, not parsed out of every ward's `figures` JSON (issue 24 item 3).
Filled from `figures` for the rows already kept.
"""
import sqlalchemy as sa
from alembic import op


revision = 'i24s'
down_revision = 'i22y'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gap_snapshot_rows') as batch:
        batch.add_column(sa.Column('unmet_share', sa.Float(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "UPDATE gap_snapshot_rows SET unmet_share = (figures->>'unmet_share')::double precision "
            "WHERE figures->>'unmet_share' IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE gap_snapshot_rows SET unmet_share = json_extract(figures, '$.unmet_share') "
            "WHERE json_extract(figures, '$.unmet_share') IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table('gap_snapshot_rows') as batch:
        batch.drop_column('unmet_share')
