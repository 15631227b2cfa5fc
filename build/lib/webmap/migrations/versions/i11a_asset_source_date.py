"""assets.source_date: the date a record's own source states, apart from a person's check

It is kept as ISO text at the precision the source gives ("2018", "2018-07" or "2018-07-17"),
so a source that states only a year is not given a made-up day. Imports used to set "last checked" to the import day. From now on an import keeps the date
its source gives (a register's extract date, an ORUK assured_date) in source_date, and
last_verified_at is only set by a person. Imported rows that no person has checked lose the
import-day "check" they were given.

Revision ID: i11a
Revises: i16a
"""
import sqlalchemy as sa
from alembic import op

revision = 'i11a'
down_revision = 'i16a'
branch_labels = None
depends_on = None

VIEW_COLUMNS = """
       a.kind, a.description, a.address, a.postcode, a.ward_code, w.name AS ward_name,
       a.website, a.phone, a.opening_times, a.accessibility, a.source,
       a.last_verified_at::date AS last_verified,
       a.lon, a.lat, a.geom{extra}
  FROM assets a
  LEFT JOIN wards w ON w.code = a.ward_code
 WHERE a.status = 'approved'
"""
VIEW_HEAD = """
CREATE OR REPLACE VIEW public_assets AS
SELECT a.id,
       a.name,
       (SELECT string_agg(ac.category_id, ';' ORDER BY ac.category_id)
          FROM asset_categories ac WHERE ac.asset_id = a.id) AS categories,"""

UNCHECKED_IMPORTS = """
UPDATE assets SET last_verified_at = NULL
 WHERE source <> 'resident'
   AND NOT EXISTS (SELECT 1 FROM audit_events e
                    WHERE e.entity_type = 'asset' AND e.entity_id = CAST(assets.id AS VARCHAR(50))
                      AND e.action IN ('verify', 'approve', 'edit'))
"""


def upgrade():
    with op.batch_alter_table('assets') as batch:
        batch.add_column(sa.Column('source_date', sa.String(10), nullable=True))
    op.execute(UNCHECKED_IMPORTS)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(VIEW_HEAD + VIEW_COLUMNS.format(extra=",\n       a.source_date"))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP VIEW IF EXISTS public_assets')
        op.execute(VIEW_HEAD.replace("OR REPLACE ", "") + VIEW_COLUMNS.format(extra=""))
    with op.batch_alter_table('assets') as batch:
        batch.drop_column('source_date')
