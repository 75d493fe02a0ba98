"""Commands: `flask migrate` (Alembic upgrade) and `flask seed-demo` (a demo job, safe to re-run)."""
from __future__ import annotations

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
