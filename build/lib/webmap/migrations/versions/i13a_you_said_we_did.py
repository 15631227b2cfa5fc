"""you said, we did: dated needs, survey rounds, follow-up emails, responses, gap snapshots

Revision ID: i13a
Revises: i12a
"""
from alembic import op
import sqlalchemy as sa


revision = 'i13a'
down_revision = 'i12a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('survey_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_rounds')),
    sa.UniqueConstraint('name', name=op.f('uq_survey_rounds_name'))
    )
    op.create_table('need_followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('ward_code', sa.String(length=12), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
    sa.Column('erased_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_followups')),
    sa.UniqueConstraint('token', name=op.f('uq_need_followups_token'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('followup_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_needs_round_id_survey_rounds'), 'survey_rounds', ['round_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_needs_followup_id_need_followups'), 'need_followups', ['followup_id'], ['id'])
    # Needs stated before this revision were asked on the day they were stored.
    op.execute('UPDATE needs SET asked_on = CAST(created_at AS DATE) WHERE asked_on IS NULL'
               if op.get_bind().dialect.name == 'postgresql' else
               'UPDATE needs SET asked_on = date(created_at) WHERE asked_on IS NULL')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.alter_column('asked_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index(batch_op.f('ix_needs_asked_on'), ['asked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_followup_id'), ['followup_id'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.String(length=12), nullable=False),
    sa.Column('category_id', sa.String(length=50), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_responses_category_id_categories')),
    sa.ForeignKeyConstraint(['ward_code'], ['wards.code'], name=op.f('fk_responses_ward_code_wards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses'))
    )
    op.create_index('ix_responses_ward_category', 'responses', ['ward_code', 'category_id'], unique=False)
    op.create_table('response_assets',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_response_assets_asset_id_assets')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_assets_response_id_responses'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'asset_id', name=op.f('pk_response_assets'))
    )
    op.create_table('gap_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('round_name', sa.String(length=100), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_snapshots'))
    )
    op.create_index(op.f('ix_gap_snapshots_taken_at'), 'gap_snapshots', ['taken_at'], unique=False)
    op.create_index(op.f('ix_gap_snapshots_as_of'), 'gap_snapshots', ['as_of'], unique=False)
    op.create_table('gap_snapshot_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('need_count', sa.Float(), nullable=True),
    sa.Column('access_share', sa.Float(), nullable=True),
    sa.Column('assets_within', sa.Float(), nullable=True),
    sa.Column('gap_score', sa.Float(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['gap_snapshots.id'], name=op.f('fk_gap_snapshot_rows_snapshot_id_gap_snapshots'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_snapshot_rows'))
    )
    op.create_index(op.f('ix_gap_snapshot_rows_snapshot_id'), 'gap_snapshot_rows', ['snapshot_id'], unique=False)
    op.create_index('ix_gap_snapshot_rows_lookup', 'gap_snapshot_rows', ['ward_code', 'category', 'method'], unique=False)


def downgrade():
    op.drop_table('gap_snapshot_rows')
    op.drop_table('gap_snapshots')
    op.drop_table('response_assets')
    op.drop_index('ix_responses_ward_category', table_name='responses')
    op.drop_table('responses')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_followup_id'))
        batch_op.drop_index(batch_op.f('ix_needs_round_id'))
        batch_op.drop_index(batch_op.f('ix_needs_asked_on'))
        batch_op.drop_constraint(batch_op.f('fk_needs_followup_id_need_followups'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_needs_round_id_survey_rounds'), type_='foreignkey')
        batch_op.drop_column('notified_at')
        batch_op.drop_column('followup_id')
        batch_op.drop_column('round_id')
        batch_op.drop_column('asked_on')
    op.drop_table('need_followups')
    op.drop_table('survey_rounds')
