"""assets: search_text (folded for search), name_given (a source left it unnamed), source_checked_at (register refresh)

Revision ID: i22b
Revises: i15a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i22b'
down_revision = 'i15a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assets') as batch:
        batch.add_column(sa.Column('search_text', sa.Text(), nullable=True))
        # False when the source gave no name and the import named it from what and where it is.
        batch.add_column(sa.Column('name_given', sa.Boolean(), nullable=False, server_default=sa.true()))
        # When an import of the record's register last contained it: checked by its source then.
        batch.add_column(sa.Column('source_checked_at', sa.DateTime(), nullable=True))
    # Fill it with the same Python function the app uses, so old and new rows fold alike.
    from webmap.core.text import search_text

    connection = op.get_bind()
    assets = sa.table('assets', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('description', sa.Text), sa.column('address', sa.String),
                      sa.column('search_text', sa.Text))
    rows = connection.execute(sa.select(assets.c.id, assets.c.name, assets.c.description, assets.c.address)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(assets.update().where(assets.c.id == sa.bindparam('row_id')).values(search_text=sa.bindparam('folded')),
                           [{'row_id': r.id, 'folded': search_text(r.name, r.description, r.address)}
                            for r in rows[start:start + 1000]])


def downgrade():
    with op.batch_alter_table('assets') as batch:
        batch.drop_column('source_checked_at')
        batch.drop_column('name_given')
        batch.drop_column('search_text')
