"""gap_snapshot_rows.asked_at: rows that keep the gap figures as they stood when residents first asked

Revision ID: i22y
Revises: i22r

"You said, we did" reads "when residents asked" from the gap store: an entry of kind "asked" is
back-dated to the day of the asks it keeps, and each of its rows names the moment of its ward's
first ask, so later requests and later imports read the same kept figures (issues 22 and 24).
"""
from alembic import op
import sqlalchemy as sa


revision = 'i22y'
down_revision = 'i22r'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gap_snapshot_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asked_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('gap_snapshot_rows', schema=None) as batch_op:
        batch_op.drop_column('asked_at')
