"""background work on a task queue: task records, import uploads in the database

Revision ID: i23a
Revises: i26a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i23a'
down_revision = 'i26a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('background_tasks',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('args', sa.JSON(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_background_tasks_name', 'background_tasks', ['name'])
    op.create_index('ix_background_tasks_state', 'background_tasks', ['state'])
    op.create_index('ix_background_tasks_queued_at', 'background_tasks', ['queued_at'])
    op.create_table('import_uploads',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id'))
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('task_id')
    op.drop_table('import_uploads')
    op.drop_index('ix_background_tasks_queued_at', 'background_tasks')
    op.drop_index('ix_background_tasks_state', 'background_tasks')
    op.drop_index('ix_background_tasks_name', 'background_tasks')
    op.drop_table('background_tasks')
