"""public_assets view for GIS: approved assets, public fields only (PostgreSQL)

A council GIS officer opens this layer in QGIS instead of the assets table, which also
holds residents' private contact details and unmoderated submissions. A read-only role
can be granted SELECT on this view and on wards, and nothing else (see docs/gis.md).

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

VIEW = """
CREATE VIEW public_assets AS
SELECT a.id,
       a.name,
       (SELECT string_agg(ac.category_id, ';' ORDER BY ac.category_id)
          FROM asset_categories ac WHERE ac.asset_id = a.id) AS categories,
       a.kind, a.description, a.address, a.postcode, a.ward_code, w.name AS ward_name,
       a.website, a.phone, a.opening_times, a.accessibility, a.source,
       a.last_verified_at::date AS last_verified,
       a.lon, a.lat, a.geom
  FROM assets a
  LEFT JOIN wards w ON w.code = a.ward_code
 WHERE a.status = 'approved'
"""


def upgrade():
    # SQLite has no GIS clients to serve, and views get in the way of its batch table rebuilds.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(VIEW)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP VIEW IF EXISTS public_assets')
