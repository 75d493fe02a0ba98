"""public profile ids

Profiles were served at /people/<user id>, so anyone could list every user's name by counting. A
profile now has an unguessable id (`users.profile_id`, 96 random bits) and exists only for people who
have freelanced: this migration gives one to every user who is the freelancer of some job; others
get one when they create their first job.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 15:00:00
"""
from __future__ import annotations

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("profile_id", sa.String(length=32), nullable=True))
        batch.create_unique_constraint("uq_users_profile_id", ["profile_id"])
    bind = op.get_bind()
    freelancers = bind.execute(sa.text(
        "SELECT DISTINCT user_id FROM memberships WHERE role = 'freelancer' ORDER BY user_id")).scalars().all()
    for user_id in freelancers:
        bind.execute(sa.text("UPDATE users SET profile_id = :p WHERE id = :u"),
                     {"p": secrets.token_urlsafe(12), "u": user_id})


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_profile_id", type_="unique")
        batch.drop_column("profile_id")
