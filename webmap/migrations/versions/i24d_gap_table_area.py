"""gap_tables.area: a table's area-wide figures, so one change rewrites only the wards it touches

Revision ID: i24d
Revises: i24s

A ward's stored row keeps what is local to it; the smoothing prior, the best score and the
"all needs" area rates are kept once per table (webmap/analysis/derive.py) and the page's
figures are worked out from both when read. "All needs" rows also keep each category's needs
and access figure. Rows kept before have neither, so every table is marked as reflecting no
data version: the next refresh (at once on a small area, in the background on a big one)
writes them in the new form; the history already kept stays as it was.
"""
import sqlalchemy as sa
from alembic import op


revision = 'i24d'
down_revision = 'i24s'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gap_tables') as batch:
        batch.add_column(sa.Column('area', sa.JSON(), nullable=True))
    op.execute("UPDATE gap_tables SET version = -1")


def downgrade():
    with op.batch_alter_table('gap_tables') as batch:
        batch.drop_column('area')
