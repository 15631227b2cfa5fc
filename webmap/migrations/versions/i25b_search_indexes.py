"""trigram indexes for search on PostgreSQL; both Welsh names in the folded search columns

Revision ID: i25b
Revises: i25a

The searches ask `search_text LIKE '%term%'` of the folded columns (webmap.core.text) on both
databases, so both find the same places and wards. On PostgreSQL a pg_trgm GIN index on each
column lets that LIKE use an index instead of reading every row; SQLite has no such index and reads
the column (an area SQLite serves is small enough). A database role that may not create the pg_trgm
extension keeps working without the index (and says so).
"""
from alembic import op
import sqlalchemy as sa


revision = 'i25b'
down_revision = 'i25a'
branch_labels = None
depends_on = None

_INDEXES = [('ix_assets_search_text_trgm', 'assets'), ('ix_wards_search_text_trgm', 'wards')]


def upgrade():
    _refill()
    connection = op.get_bind()
    if connection.dialect.name != 'postgresql':
        return
    try:
        with connection.begin_nested():
            connection.execute(sa.text('CREATE EXTENSION IF NOT EXISTS pg_trgm'))
    except sa.exc.DBAPIError as exc:
        print(f'pg_trgm is not available ({str(exc.orig).strip()}): search works, without its trigram indexes')
        return
    for name, table in _INDEXES:
        connection.execute(sa.text(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)'))


def _refill():
    """Fold both languages' names into the search columns with the app's own functions."""
    from webmap.core.text import search_text, ward_search_text

    connection = op.get_bind()
    wards = sa.table('wards', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('name_cy', sa.String), sa.column('search_text', sa.Text))
    rows = connection.execute(sa.select(wards.c.id, wards.c.name, wards.c.name_cy)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(wards.update().where(wards.c.id == sa.bindparam('row_id')).values(search_text=sa.bindparam('folded')),
                           [{'row_id': r.id, 'folded': ward_search_text(r.name, r.name_cy)}
                            for r in rows[start:start + 1000]])
    assets = sa.table('assets', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('name_cy', sa.String), sa.column('description', sa.Text),
                      sa.column('description_cy', sa.Text), sa.column('address', sa.String),
                      sa.column('search_text', sa.Text))
    rows = connection.execute(sa.select(assets.c.id, assets.c.name, assets.c.name_cy, assets.c.description,
                                        assets.c.description_cy, assets.c.address)
                              .where(sa.or_(assets.c.name_cy.isnot(None), assets.c.description_cy.isnot(None)))).all()
    for start in range(0, len(rows), 1000):
        connection.execute(assets.update().where(assets.c.id == sa.bindparam('row_id')).values(search_text=sa.bindparam('folded')),
                           [{'row_id': r.id, 'folded': search_text(r.name, r.name_cy, r.description, r.description_cy,
                                                                  r.address)}
                            for r in rows[start:start + 1000]])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, _table in _INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
