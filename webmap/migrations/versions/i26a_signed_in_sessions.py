"""signed_in_sessions: every signed-in session (staff, group managers) on the server, so it can be ended

Revision ID: i26a
Revises: i22a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i26a'
down_revision = 'i22a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signed_in_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_in_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_signed_in_sessions_token_hash'))
    )
    op.create_index(op.f('ix_signed_in_sessions_subject_hash'), 'signed_in_sessions', ['subject_hash'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_signed_in_sessions_subject_hash'), table_name='signed_in_sessions')
    op.drop_table('signed_in_sessions')
