"""personal data and mail: listings' public email, submitters' consent to updates, mail opt-outs

Revision ID: i16a
Revises: i17b
"""
from alembic import op
import sqlalchemy as sa

revision = 'i16a'
down_revision = 'i17b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('submitter_wants_updates', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('recheck_sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('recheck_opt_out', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_digest', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('wants_digest')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('recheck_opt_out')
        batch_op.drop_column('recheck_sent_at')
        batch_op.drop_column('submitter_wants_updates')
        batch_op.drop_column('email')
