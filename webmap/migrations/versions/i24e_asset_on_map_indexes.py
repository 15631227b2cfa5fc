"""assets: indexes on (status, created_at), (status, opened_on) and (status, source)

When a place last came on the map (webmap/core/store.py, last_on_map) is asked on a worker's
first change: the latest approved place's created_at and opened_on are read off these indexes'
ends, and the submitted approved places found by theirs, not by reading every place.

Revision ID: i24e
Revises: i24d
"""
from alembic import op

revision = 'i24e'
down_revision = 'i24d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_assets_status_created_at', 'assets', ['status', 'created_at'])
    op.create_index('ix_assets_status_opened_on', 'assets', ['status', 'opened_on'])
    op.create_index('ix_assets_status_source', 'assets', ['status', 'source'])


def downgrade():
    op.drop_index('ix_assets_status_source', table_name='assets')
    op.drop_index('ix_assets_status_opened_on', table_name='assets')
    op.drop_index('ix_assets_status_created_at', table_name='assets')
