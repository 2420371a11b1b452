"""checklists, their steps and transitions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.core.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('started_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('started_at', bot.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_release_id'), ['release_id'], unique=False)
        batch_op.create_index('uq_checklist_running_release', ['release_id'], unique=True, sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'"))

    op.create_table('checklist_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('not_before', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expected_seconds', sa.Integer(), nullable=True),
    sa.Column('gates', sa.Text(), server_default='', nullable=False),
    sa.Column('requires', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('activations', sa.Integer(), nullable=False),
    sa.Column('nudged', sa.Integer(), nullable=False),
    sa.Column('started_at', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('activated_at', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', bot.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acted_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklist.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('checklist_id', 'position')
    )
    with op.batch_alter_table('checklist_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_step_checklist_id'), ['checklist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_step_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('checklist_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_step_state'))
        batch_op.drop_index(batch_op.f('ix_checklist_step_checklist_id'))

    op.drop_table('checklist_step')
    with op.batch_alter_table('checklist', schema=None) as batch_op:
        batch_op.drop_index('uq_checklist_running_release', sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'"))
        batch_op.drop_index(batch_op.f('ix_checklist_release_id'))

    op.drop_table('checklist')
