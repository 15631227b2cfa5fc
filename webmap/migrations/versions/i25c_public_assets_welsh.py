"""public_assets (the GIS layer, PostgreSQL) gains the places' Welsh names and descriptions

Revision ID: i25c
Revises: i25b

The view keeps the exports' columns in their order (webmap/opendata/exports.py EXPORT_COLUMNS), so
name_cy follows name and description_cy follows description. contact_email stays out.
"""
from alembic import op


revision = 'i25c'
down_revision = 'i25b'
branch_labels = None
depends_on = None

_EXCHANGES = """
       (SELECT string_agg(x.item, ';' ORDER BY x.id) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'offers' AND x.item IS NOT NULL) AS offers,
       (SELECT min(x.detail) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'offers' AND x.item IS NULL) AS offers_other,
       (SELECT string_agg(x.item, ';' ORDER BY x.id) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'needs' AND x.item IS NOT NULL) AS needs,
       (SELECT min(x.detail) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'needs' AND x.item IS NULL) AS needs_other,"""

VIEW = f"""
CREATE VIEW public_assets AS
SELECT a.id,
       a.name,
       a.name_cy,
       (SELECT string_agg(ac.category_id, ';' ORDER BY ac.category_id)
          FROM asset_categories ac WHERE ac.asset_id = a.id) AS categories,
       a.kind, a.description, a.description_cy, a.address, a.postcode, a.ward_code, w.name AS ward_name,
       a.website, a.phone, a.opening_times, a.accessibility,{_EXCHANGES}
       a.source,
       a.last_verified_at::date AS last_verified,
       a.source_date,
       a.lon, a.lat, a.geom
  FROM assets a
  LEFT JOIN wards w ON w.code = a.ward_code
 WHERE a.status = 'approved'
"""

OLD_VIEW = f"""
CREATE VIEW public_assets AS
SELECT a.id,
       a.name,
       (SELECT string_agg(ac.category_id, ';' ORDER BY ac.category_id)
          FROM asset_categories ac WHERE ac.asset_id = a.id) AS categories,
       a.kind, a.description, a.address, a.postcode, a.ward_code, w.name AS ward_name,
       a.website, a.phone, a.opening_times, a.accessibility,{_EXCHANGES}
       a.source,
       a.last_verified_at::date AS last_verified,
       a.source_date,
       a.lon, a.lat, a.geom
  FROM assets a
  LEFT JOIN wards w ON w.code = a.ward_code
 WHERE a.status = 'approved'
"""


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP VIEW IF EXISTS public_assets')
        op.execute(VIEW)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP VIEW IF EXISTS public_assets')
        op.execute(OLD_VIEW)
