"""derived tables: data versions, simplified ward outlines, place clusters, stored gap tables

Revision ID: i12a
Revises: i18a
"""
import sqlalchemy as sa
from alembic import op

revision = 'i12a'
down_revision = 'i18a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_versions',
        sa.Column('name', sa.String(20), primary_key=True),
        sa.Column('version', sa.Integer(), nullable=False),
    )
    op.create_table(
        'derived_builds',
        sa.Column('name', sa.String(40), primary_key=True),
        sa.Column('version', sa.Integer(), nullable=False),
    )
    op.create_table(
        'ward_outlines',
        sa.Column('level', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(12), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('minx', sa.Float(), nullable=False),
        sa.Column('miny', sa.Float(), nullable=False),
        sa.Column('maxx', sa.Float(), nullable=False),
        sa.Column('maxy', sa.Float(), nullable=False),
        sa.Column('geojson', sa.Text(), nullable=False),
    )
    op.create_index('ix_ward_outlines_level_box', 'ward_outlines', ['level', 'minx', 'maxx', 'miny', 'maxy'])
    op.create_table(
        'place_cells',
        sa.Column('level', sa.Integer(), primary_key=True),
        sa.Column('category', sa.String(50), primary_key=True),
        sa.Column('x', sa.Integer(), primary_key=True),
        sa.Column('y', sa.Integer(), primary_key=True),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
    )
    op.create_index('ix_place_cells_level_cat_pos', 'place_cells', ['level', 'category', 'lon', 'lat'])
    op.create_table(
        'gap_rows',
        sa.Column('key', sa.String(120), primary_key=True),
        sa.Column('ward_code', sa.String(12), primary_key=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
    )
    op.create_index('ix_gap_rows_ward_code', 'gap_rows', ['ward_code'])
    # The home page lists approved places by name a page at a time; without this, every page sorts them all.
    op.create_index('ix_assets_status_name', 'assets', ['status', 'name', 'id'])


def downgrade():
    op.drop_index('ix_assets_status_name', table_name='assets')
    op.drop_index('ix_gap_rows_ward_code', table_name='gap_rows')
    op.drop_table('gap_rows')
    op.drop_index('ix_place_cells_level_cat_pos', table_name='place_cells')
    op.drop_table('place_cells')
    op.drop_index('ix_ward_outlines_level_box', table_name='ward_outlines')
    op.drop_table('ward_outlines')
    op.drop_table('derived_builds')
    op.drop_table('data_versions')
