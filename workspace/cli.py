"""Commands: `flask migrate` (Alembic upgrade), `flask seed-demo` (a demo job, safe to re-run),
`flask tasks run-once [--now ISO-8601]` (one round of scheduled work) and `flask mail-inbound`
(the SMTP listener that turns replies to notification emails into room messages)."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from flask import Flask

from workspace import migrate


def init_app(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate_command() -> None:
        """Apply database migrations up to the latest."""
        migrate.upgrade(app.config["DATABASE_URL"])
        click.echo("Database is up to date.")

    @app.cli.command("seed-demo")
    def seed_command() -> None:
        """Create the demo freelancer, client and job once; print their logins every time."""
        from workspace.seed import seed_demo

        accounts = seed_demo(app)
        click.echo("\nDemo accounts (also in instance/demo-accounts.txt):")
        for role, email, password in accounts:
            click.echo(f"  {role:<10} {email:<28} password: {password}")
        click.echo("")

    @app.cli.group("tasks")
    def tasks_group() -> None:
        """Scheduled work: auto-approval, reminders, digests and mail sending."""

    @tasks_group.command("run-once")
    @click.option("--now", "now_text", default=None, help="Run as if the time were this (ISO 8601, UTC if no zone).")
    def run_once_command(now_text: str | None) -> None:
        """Run one round of all scheduled work and print what it did."""
        from workspace import tasks

        now = None
        if now_text:
            try:
                now = datetime.fromisoformat(now_text.replace("Z", "+00:00"))
            except ValueError:
                raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T09:00:00Z", param_hint="--now") from None
            if now.tzinfo is None:
                now = now.replace(tzinfo=timezone.utc)
        done = tasks.run_once(app, now)
        click.echo(" ".join(f"{k}={v}" for k, v in done.items()))

    @app.cli.command("mail-inbound")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=2525, show_default=True, type=int)
    def mail_inbound_command(host: str, port: int) -> None:
        """Receive replies to notification emails over SMTP and post them into their rooms."""
        from workspace.mail.inbound import serve

        serve(app, host, port)
