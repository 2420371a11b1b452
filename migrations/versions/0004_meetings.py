"""burndown meeting series, reminders and status updates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('meeting_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('at_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('zone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('remind', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('status_lead', sa.Integer(), nullable=True),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('areas', sa.Text(), server_default='', nullable=False),
    sa.Column('cadence', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('piece', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('plan_from', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_due_at', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_series_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_meeting_series_due', ['state', 'next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_series_release_id'), ['release_id'], unique=False)

    op.create_table('meeting_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('occurs_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('offset_s', sa.Integer(), nullable=False),
    sa.Column('claimed_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['series_id'], ['meeting_series.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('series_id', 'occurs_at', 'kind', 'offset_s')
    )
    op.create_table('meeting_skip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['meeting_series.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('series_id', 'day')
    )
    op.create_table('meeting_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('occurs_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('area', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('colour', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('posted_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['meeting_series.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('series_id', 'occurs_at', 'user_id', 'area')
    )


def downgrade() -> None:
    op.drop_table('meeting_status')
    op.drop_table('meeting_skip')
    op.drop_table('meeting_delivery')
    with op.batch_alter_table('meeting_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_series_release_id'))
        batch_op.drop_index('ix_meeting_series_due')
        batch_op.drop_index(batch_op.f('ix_meeting_series_channel_id'))

    op.drop_table('meeting_series')
