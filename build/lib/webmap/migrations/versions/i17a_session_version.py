"""users.session_version: raising it ends every session of that user (sign-out, password, role, disable)

Revision ID: i17a
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = 'i17a'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
