"""sign_in_throttles: failed sign-ins per (email, address) pair, for growing delays instead of a lockout

Revision ID: i17b
Revises: i17a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i17b'
down_revision = 'i17a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_throttles',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('wait_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttles'))
    )


def downgrade():
    op.drop_table('sign_in_throttles')
