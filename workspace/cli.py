"""Commands: `flask migrate` (Alembic upgrade), `flask seed-demo` (a demo job, safe to re-run),
`flask tasks run-once [--now ISO-8601]` (one round of scheduled work), `flask mail-inbound`
(the SMTP listener that turns replies to notification emails into room messages), and
`flask backup FILE` / `flask restore FILE` (the database; a restore verifies every job's chain), and
`flask dossier verify FILE` (a job's dossier zip, with this code's verifier, not the one inside the zip)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

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

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(file: Path) -> None:
        """Copy the database into FILE while the app keeps serving."""
        from workspace.backup import BackupError, backup

        try:
            backup(app.config["DATABASE_URL"], file)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Backed up to {file}.")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
    @click.option("--yes", is_flag=True, help="Replace the current database without asking.")
    def restore_command(file: Path, yes: bool) -> None:
        """Replace the database with FILE's copy (stop the app first), then verify every job's chain."""
        from workspace.backup import BackupError, restore, verify_all

        if not yes:
            click.confirm("This replaces the current database. Go on?", abort=True)
        try:
            restore(app.config["DATABASE_URL"], file)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        broken = {job: seq for job, seq in verify_all(app).items() if seq is not None}
        if broken:
            raise click.ClickException("Restored, but these chains do not verify (job: first bad seq): "
                                       + ", ".join(f"{job}: {seq}" for job, seq in broken.items()))
        click.echo(f"Restored from {file}; every job's chain verifies.")

    @app.cli.group("dossier")
    def dossier_group() -> None:
        """Job dossiers (GET /jobs/<job>/dossier.zip)."""

    @dossier_group.command("verify")
    @click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
    @click.option("--key", default=None, help="The instance's public key (base64url, as GET /api/v1/keys lists it).")
    @click.option("--checkpoint", "earlier", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
                  help="An earlier signed checkpoint (JSON) the history must extend; repeatable.")
    def dossier_verify_command(file: Path, key: str | None, earlier: tuple[Path, ...]) -> None:
        """Check a dossier zip: the manifest's signature, every file's sha256, the hash chain and the checkpoint."""
        from workspace.dossier_verify import verify_zip

        failures = verify_zip(file, key=key, earlier=list(earlier), say=click.echo)
        if failures:
            raise click.exceptions.Exit(1)
