"""consent every client accepts, pending clients

Terms now come into force only when the freelancer and every client have accepted them, and a client
who joins while terms are in force is `client_pending` until they accept those terms. The role column
already holds the value (String(20)); what changes is the data: a client who never accepted the
version in force of their job was bound by someone else's acceptance, so they become pending now and
act again once they accept it. Downgrade turns pending clients into viewers, which is what they may
do until they accept (the old code knows no pending role).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:10:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
import workspace.db  # noqa: F401


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("""
        UPDATE memberships SET role = 'client_pending'
        WHERE role = 'client'
          AND EXISTS (
            SELECT 1 FROM jobs j JOIN agreements a ON a.job_id = j.id AND a.version = j.in_force_version
            WHERE j.id = memberships.job_id)
          AND NOT EXISTS (
            SELECT 1 FROM jobs j
            JOIN agreements a ON a.job_id = j.id AND a.version = j.in_force_version
            JOIN acceptances x ON x.agreement_id = a.id
            WHERE j.id = memberships.job_id AND x.user_id = memberships.user_id)
    """))


def downgrade() -> None:
    op.execute(sa.text("UPDATE memberships SET role = 'viewer' WHERE role = 'client_pending'"))
