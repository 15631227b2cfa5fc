"""one gap store: stored gap tables become the latest rows of the gap history

Revision ID: i24a
Revises: i23a

gap_snapshot_rows gains the table key and a "latest" flag; gap_tables lists the tables kept up
to date and the data version they reflect; the rows of gap_rows move into one history entry
(kind "migrated") as the latest rows, and gap_rows goes.
"""
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = 'i24a'
down_revision = 'i23a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gap_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('gap_snapshot_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('latest', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_gap_snapshot_rows_key_latest', ['key', 'latest'], unique=False)
        batch_op.create_index('ix_gap_snapshot_rows_ward_key', ['ward_code', 'key'], unique=False)
    op.create_table('gap_tables',
                    sa.Column('key', sa.String(length=120), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('key', name=op.f('pk_gap_tables')))
    conn = op.get_bind()
    # Old snapshot rows: their key from the snapshot's distance (snapshots were never weighted).
    for snapshot_id, distance in conn.execute(sa.text("SELECT id, distance_m FROM gap_snapshots")).all():
        conn.execute(sa.text("UPDATE gap_snapshot_rows SET key = category || '|' || method || '|' || :d || '|0' "
                             "WHERE snapshot_id = :s"), {"d": f"{float(distance):g}", "s": snapshot_id})
    stored = conn.execute(sa.text("SELECT key, ward_code, version, figures FROM gap_rows")).all()
    if stored:
        keys = sorted({k for k, *_ in stored})
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        distance = float(keys[0].split('|')[2])
        entry = conn.execute(sa.text(
            "INSERT INTO gap_snapshots (taken_at, as_of, kind, distance_m, note, data_version) "
            "VALUES (:t, :d, 'migrated', :m, 'stored gap tables before the one gap store', :v) RETURNING id"),
            {"t": now, "d": now.date(), "m": distance, "v": max(v for _, _, v, _ in stored)}).scalar_one()
        rows = []
        for key, ward, version, figures in stored:
            category, method = key.split('|')[:2]
            data = json.loads(figures)
            rows.append({"s": entry, "k": key, "w": ward, "c": category, "me": method, "n": data.get("need_count"),
                         "a": data.get("access_share"), "aw": data.get("assets_within_distance"),
                         "g": data.get("gap_score"), "f": figures})
        conn.execute(sa.text("INSERT INTO gap_snapshot_rows (snapshot_id, key, latest, ward_code, category, method, "
                             "need_count, access_share, assets_within, gap_score, figures) "
                             "VALUES (:s, :k, true, :w, :c, :me, :n, :a, :aw, :g, :f)"), rows)
        for key in keys:
            version = max(v for k, _, v, _ in stored if k == key)
            conn.execute(sa.text("INSERT INTO gap_tables (key, version) VALUES (:k, :v)"), {"k": key, "v": version})
    op.drop_index('ix_gap_rows_ward_code', table_name='gap_rows')
    op.drop_table('gap_rows')


def downgrade():
    op.create_table('gap_rows',
                    sa.Column('key', sa.String(length=120), nullable=False),
                    sa.Column('ward_code', sa.String(length=12), nullable=False),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.Column('figures', sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint('key', 'ward_code', name=op.f('pk_gap_rows')))
    op.create_index('ix_gap_rows_ward_code', 'gap_rows', ['ward_code'])
    conn = op.get_bind()
    conn.execute(sa.text("INSERT INTO gap_rows (key, ward_code, version, figures) "
                         "SELECT r.key, r.ward_code, t.version, CAST(r.figures AS TEXT) FROM gap_snapshot_rows r "
                         "JOIN gap_tables t ON t.key = r.key WHERE r.latest"))
    op.drop_table('gap_tables')
    with op.batch_alter_table('gap_snapshot_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_gap_snapshot_rows_ward_key')
        batch_op.drop_index('ix_gap_snapshot_rows_key_latest')
        batch_op.drop_column('latest')
        batch_op.drop_column('key')
    with op.batch_alter_table('gap_snapshots', schema=None) as batch_op:
        batch_op.drop_column('data_version')
