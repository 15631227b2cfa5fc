"""groups run their own listing: a private contact email, managers, sign-in links, offers and needs

Revision ID: i15a
Revises: i14a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i15a'
down_revision = 'i14a'
branch_labels = None
depends_on = None


OLD_VIEW = """
CREATE VIEW public_assets AS
SELECT a.id,
       a.name,
       (SELECT string_agg(ac.category_id, ';' ORDER BY ac.category_id)
          FROM asset_categories ac WHERE ac.asset_id = a.id) AS categories,
       a.kind, a.description, a.address, a.postcode, a.ward_code, w.name AS ward_name,
       a.website, a.phone, a.opening_times, a.accessibility, a.source,
       a.last_verified_at::date AS last_verified,
       a.lon, a.lat, a.geom, a.source_date
  FROM assets a
  LEFT JOIN wards w ON w.code = a.ward_code
 WHERE a.status = 'approved'
"""

# The GIS layer gains what each group offers and needs (vocabulary ids joined by ';', and free text),
# in the same columns as the exports (webmap/opendata/exports.py EXPORT_COLUMNS), with i11a's source_date
# before the coordinates, as in the exports.
# contact_email stays out.
VIEW = """
CREATE VIEW public_assets AS
SELECT a.id,
       a.name,
       (SELECT string_agg(ac.category_id, ';' ORDER BY ac.category_id)
          FROM asset_categories ac WHERE ac.asset_id = a.id) AS categories,
       a.kind, a.description, a.address, a.postcode, a.ward_code, w.name AS ward_name,
       a.website, a.phone, a.opening_times, a.accessibility,
       (SELECT string_agg(x.item, ';' ORDER BY x.id) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'offers' AND x.item IS NOT NULL) AS offers,
       (SELECT min(x.detail) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'offers' AND x.item IS NULL) AS offers_other,
       (SELECT string_agg(x.item, ';' ORDER BY x.id) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'needs' AND x.item IS NOT NULL) AS needs,
       (SELECT min(x.detail) FROM listing_exchanges x
         WHERE x.asset_id = a.id AND x.direction = 'needs' AND x.item IS NULL) AS needs_other,
       a.source,
       a.last_verified_at::date AS last_verified,
       a.source_date,
       a.lon, a.lat, a.geom
  FROM assets a
  LEFT JOIN wards w ON w.code = a.ward_code
 WHERE a.status = 'approved'
"""


def upgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        # The group's own email: claim links and relayed messages go there; never shown on a page.
        batch_op.add_column(sa.Column('contact_email', sa.String(length=200), nullable=True))

    op.create_table('listing_managers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_listing_managers_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_managers')),
    sa.UniqueConstraint('asset_id', 'email', name='uq_listing_managers_asset_id_email')
    )
    with op.batch_alter_table('listing_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_managers_email'), ['email'], unique=False)

    op.create_table('group_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_group_tokens_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_group_tokens_token_hash'))
    )

    op.create_table('listing_exchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('item', sa.String(length=50), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_listing_exchanges_asset_id_assets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_exchanges'))
    )
    with op.batch_alter_table('listing_exchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_exchanges_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index('ix_listing_exchanges_item', ['direction', 'item'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP VIEW IF EXISTS public_assets')
        op.execute(VIEW)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP VIEW IF EXISTS public_assets')
        op.execute(OLD_VIEW)
    with op.batch_alter_table('listing_exchanges', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_exchanges_item')
        batch_op.drop_index(batch_op.f('ix_listing_exchanges_asset_id'))
    op.drop_table('listing_exchanges')
    op.drop_table('group_tokens')
    with op.batch_alter_table('listing_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_managers_email'))
    op.drop_table('listing_managers')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('contact_email')
