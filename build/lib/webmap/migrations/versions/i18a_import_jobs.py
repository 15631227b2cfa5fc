"""import jobs: files staff import in the browser; moderators' permission to import

Revision ID: i18a
Revises: i11a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i18a'
down_revision = 'i11a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_import', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('running_kind', sa.String(length=30), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('preview', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
    sa.UniqueConstraint('running_kind', name=op.f('uq_import_jobs_running_kind'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_jobs_state'), ['state'], unique=False)


def downgrade():
    op.drop_table('import_jobs')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('can_import')
