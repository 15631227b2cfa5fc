"""groups run their own listing: a private contact email, managers, sign-in links, offers and needs

Revision ID: i15a
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = 'i15a'
down_revision = '0003'
branch_labels = None
depends_on = None


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


def downgrade():
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
