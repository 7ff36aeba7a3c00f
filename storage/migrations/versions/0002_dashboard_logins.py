"""dashboard logins: one-time links and sessions

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=True),
        sa.Column("seal", sa.String(length=24), nullable=False),
        sa.Column("notices", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_dashboard_logins_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_logins")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_dashboard_logins_secret_hash")),
    )
    op.create_index(op.f("ix_dashboard_logins_person_id"), "dashboard_logins", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dashboard_logins_person_id"), table_name="dashboard_logins")
    op.drop_table("dashboard_logins")
