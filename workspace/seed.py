"""The demo: a freelancer, a client and a job with terms in force. Idempotent."""
from __future__ import annotations

import os
import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from workspace.extensions import db
from workspace.models import User
from workspace.services import accounts, agreements, invites, jobs, recovery

DEMO = (("freelancer", "freelancer@demo.test", "Fran Freelancer"), ("client", "client@demo.test", "Cleo Client"))


def _passwords(path: Path) -> dict[str, str]:
    """Random demo passwords, made once and kept in the instance folder (never in the code)."""
    if path.exists():
        return dict(line.split(" ", 1) for line in path.read_text().split("\n") if " " in line)
    stored = {email: secrets.token_urlsafe(9) for _role, email, _name in DEMO}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(f"{email} {pw}" for email, pw in stored.items()))
    return stored


def seed_demo(app: Flask) -> list[tuple[str, str, str]]:
    passwords = _passwords(Path(app.instance_path) / "demo-accounts.txt")
    with app.app_context():
        users = {}
        for role, email, name in DEMO:
            user = db.session.scalar(select(User).where(User.email == email))
            if user is None:
                # The demo addresses receive no mail, so they start confirmed (no reminder banner).
                user = accounts.sign_up(email, passwords[email], name, address="seed", limit=(10**6, 1),
                                        verified=True)
            elif user.email_verified_at is None:  # seeded before verification existed
                recovery.mark_verified(user.id)
            assert user is not None, email
            users[role] = user
        if not jobs.list_jobs(users["freelancer"]):
            _demo_job(users["freelancer"], users["client"])
        db.session.remove()
    return [(role, email, passwords[email]) for role, email, _name in DEMO]


def _demo_job(freelancer: User, client: User) -> None:
    job = jobs.create_job(freelancer, "Brand refresh for Northwind Bakery",
                          "Logo, colour palette and a one-page style guide.")
    invite = invites.create_invite(freelancer, job["id"], "client", ttl=timedelta(days=7))
    invites.accept_invite(client, invite["token"])
    today = date.today()
    proposed = agreements.propose_agreement(freelancer, job["id"], {
        "scope": "## Deliverables\n- Logo (primary and mark)\n- Colour palette\n- One-page style guide\n\n"
                 "Two concepts, then refinement of the chosen one.",
        "deadline": (today + timedelta(days=30)).isoformat(),
        "currency": "EUR",
        "upfront": {"kind": "portion", "amount": 30000},
        "milestones": [
            {"title": "Two logo concepts", "amount": 60000, "due": (today + timedelta(days=10)).isoformat(),
             "criteria": ["Two distinct directions", "Black and white versions"], "revisions": 2},
            {"title": "Final logo and palette", "amount": 50000, "due": (today + timedelta(days=20)).isoformat(),
             "criteria": ["SVG and PNG exports", "Palette with hex codes"], "revisions": 1},
            {"title": "Style guide", "amount": 30000, "due": (today + timedelta(days=30)).isoformat(),
             "criteria": ["One page PDF"], "revisions": 1},
        ],
        "update_every_hours": 24,
        "auto_approve_days": 7,
    })
    agreements.accept_agreement(client, job["id"], proposed["version"], proposed["terms_hash"])
