"""bilingual names and the language each person used

Revision ID: i25a
Revises: i24a

Wards, categories and places gain Welsh names (and wards a folded search column over both names);
the records that lead to an email (a submission, a follow-up, a change report, a staff account, a
listing manager, a one-time link) keep the language the person used, so the email is written in it.
"""
from alembic import op
import sqlalchemy as sa


revision = 'i25a'
down_revision = 'i24a'
branch_labels = None
depends_on = None

_LANGUAGE = [('assets', 'submitter_language'), ('users', 'language'), ('need_followups', 'language'),
             ('change_requests', 'language'), ('listing_managers', 'language'), ('group_tokens', 'language')]


def upgrade():
    with op.batch_alter_table('wards') as batch:
        batch.add_column(sa.Column('name_cy', sa.String(200), nullable=True))
        batch.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    with op.batch_alter_table('categories') as batch:
        batch.add_column(sa.Column('label_cy', sa.String(100), nullable=True))
        batch.add_column(sa.Column('description_cy', sa.Text(), nullable=True))
    with op.batch_alter_table('assets') as batch:
        batch.add_column(sa.Column('name_cy', sa.String(200), nullable=True))
        batch.add_column(sa.Column('description_cy', sa.Text(), nullable=True))
    for table, column in _LANGUAGE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.String(8), nullable=True))
    # Fill the wards' search column with the same Python function the app uses.
    from webmap.core.text import fold

    connection = op.get_bind()
    wards = sa.table('wards', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('search_text', sa.Text))
    rows = connection.execute(sa.select(wards.c.id, wards.c.name)).all()
    if rows:
        connection.execute(wards.update().where(wards.c.id == sa.bindparam('row_id')).values(search_text=sa.bindparam('folded')),
                           [{'row_id': r.id, 'folded': fold(r.name or '')} for r in rows])


def downgrade():
    for table, column in reversed(_LANGUAGE):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
    with op.batch_alter_table('assets') as batch:
        batch.drop_column('description_cy')
        batch.drop_column('name_cy')
    with op.batch_alter_table('categories') as batch:
        batch.drop_column('description_cy')
        batch.drop_column('label_cy')
    with op.batch_alter_table('wards') as batch:
        batch.drop_column('search_text')
        batch.drop_column('name_cy')
