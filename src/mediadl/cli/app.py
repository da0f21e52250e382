"""The ``mediadl`` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mediadl.cli import get_command
from mediadl.core.settings import Settings, prepare_data_dir

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="mediadl: a self-hosted media downloader.")
users_app = typer.Typer(no_args_is_help=True, help="Manage accounts.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where mediadl keeps its data.")]


def load_settings(data_dir: Path | None = None) -> Settings:
    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    return prepare_data_dir(settings)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
) -> None:
    """Run everything in one process: API, web UI, scheduler and workers."""
    import uvicorn

    from mediadl.core.errors import MediadlError
    from mediadl.core.logging import configure_logging
    from mediadl.main import build_app

    settings = load_settings(data_dir)
    configure_logging()
    trusted = ",".join(settings.security.trusted_proxies) or "127.0.0.1"
    try:
        app = build_app(settings)
    except MediadlError as error:
        _fail(error.detail)
    # No permessage-deflate: it compresses every live message once per client on the
    # event loop (the fan-out's biggest cost), to save little on ~250-byte messages.
    uvicorn.run(app, host=host, port=port, log_config=None, ws_per_message_deflate=False,
                proxy_headers=True, forwarded_allow_ips=trusted, timeout_graceful_shutdown=10)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(
        help="Jobs this worker runs at once (default: MEDIADL_MAX_CONCURRENT_DOWNLOADS).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """A Celery worker for the scaled-out mode (needs MEDIADL_BROKER_URL)."""
    from mediadl.core.errors import MediadlError
    from mediadl.core.logging import configure_logging
    from mediadl.worker import run_worker

    settings = load_settings(data_dir)
    if not settings.broker_url:
        _fail("Set MEDIADL_BROKER_URL (e.g. redis://host:6379/0) to run workers.")
    configure_logging()
    try:
        run_worker(settings, concurrency)
    except MediadlError as error:
        _fail(error.detail)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin or user.")] = "user",
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from stdin.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Create an account. The first admin can only be made here."""
    from mediadl.auth.service import create_user
    from mediadl.core.errors import MediadlError
    from mediadl.db.migrate import upgrade
    from mediadl.db.session import Database

    if not password_stdin:
        _fail("Pass --password-stdin and send the password on standard input.")
    if role not in ("admin", "user"):
        _fail("The role must be 'admin' or 'user'.")
    password = sys.stdin.readline().rstrip("\r\n")
    settings = load_settings(data_dir)
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            user = create_user(session, settings, name, password, role=role, email=email)
            typer.echo(f"Created {user.role} '{user.username}' (id {user.id}).")
    except MediadlError as error:
        _fail(error.detail)
    finally:
        db.dispose()


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Apply database migrations (serve does this too)."""
    from mediadl.db.migrate import upgrade

    settings = load_settings(data_dir)
    upgrade(settings.resolved_database_url)
    typer.echo("Database is up to date.")


app.command("get")(get_command.get)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def main() -> None:
    app()
