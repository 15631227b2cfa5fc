"""needs.response_key: the needs made from one response (a web-form submission, a survey row) share a key

Revision ID: i22r
Revises: i25c

Existing needs keep no key (NULL): each unit of their count is read as one response, so figures
change only where one response stated several needs.
"""
from alembic import op
import sqlalchemy as sa


revision = 'i22r'
down_revision = 'i25c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs') as batch:
        batch.add_column(sa.Column('response_key', sa.String(length=64), nullable=True))
        batch.create_index(batch.f('ix_needs_response_key'), ['response_key'], unique=False)


def downgrade():
    with op.batch_alter_table('needs') as batch:
        batch.drop_index(batch.f('ix_needs_response_key'))
        batch.drop_column('response_key')
