"""poll counts: required voters and their Go votes kept on the poll (poll.required_count,
poll.go_count), so a vote checks "every required Go" without recounting the electorate

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("required_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("go_count", sa.Integer(), nullable=False, server_default="0"))
    # Polls started before: count what the votes would have kept.
    op.execute(
        "UPDATE poll SET required_count = "
        "(SELECT count(*) FROM poll_voter WHERE poll_voter.poll_id = poll.id), "
        "go_count = (SELECT count(*) FROM poll_voter JOIN poll_vote "
        "ON poll_vote.poll_id = poll_voter.poll_id AND poll_vote.user_id = poll_voter.user_id "
        "WHERE poll_voter.poll_id = poll.id AND poll_vote.choice = 'go')"
    )


def downgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("go_count")
        batch_op.drop_column("required_count")
