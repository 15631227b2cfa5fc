"""data sources: publisher and the date of the data, for "About the data" on any council's site

Revision ID: i14a
Revises: i13a
"""
from alembic import op
import sqlalchemy as sa

revision = 'i14a'
down_revision = 'i13a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('data_sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('publisher', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('source_date', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('data_sources', schema=None) as batch_op:
        batch_op.drop_column('source_date')
        batch_op.drop_column('publisher')
