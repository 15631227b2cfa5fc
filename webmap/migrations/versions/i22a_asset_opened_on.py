"""assets.opened_on: the day a place opened, as its source states

"You said, we did" calls an imported place "opened since residents asked" only when its record
gives an opening date after the ask (a register's open date, or an `opened` column). Existing
rows have none, so none of them is called opened.

Revision ID: i22a
Revises: i22b
"""
import sqlalchemy as sa
from alembic import op

revision = 'i22a'
down_revision = 'i22b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assets') as batch:
        batch.add_column(sa.Column('opened_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('assets') as batch:
        batch.drop_column('opened_on')
