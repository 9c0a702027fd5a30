"""The `surveybot` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer

from bots.channels import register_channels
from bots.cli.admin import register as register_admin
from bots.cli.common import (
    block,
    database_url_or_empty,
    engine_for,
    fail,
    print_error,
    settings_or_exit,
)
from bots.cli.errors import CliError, check_locale, database_problem
from bots.cli.invite import invite_command
from bots.cli.privacy import contacts_app, retention_app
from bots.cli.telegram import telegram_app
from bots.cli.whatsapp import whatsapp_app
from bots.cli.why import why_command
from bots.logging_setup import LogFormat, configure_logging, resolve_format
from bots.settings import ConfigError, Settings
from flows.loader import FlowFileError, load_flow_dir, load_flow_file, load_flows
from scoring.channels import CHANNELS
from scoring.normalise import normalise, outcome_json

# The CLI is a composition root too: commands that never build the app still read channels.
register_channels()


class _Surveybot(typer.Typer):
    """The command line, turning a user's mistake that surfaced deep down into one line."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except CliError as exc:
            print_error(str(exc))
            sys.exit(exc.code)
        except ConfigError as exc:
            print_error(str(exc))
            sys.exit(2)
        except FlowFileError as exc:
            print_error(f"broken flow file(s):\n{exc}")
            sys.exit(2)
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.ArgumentError) as exc:
            print_error(database_problem(exc, database_url_or_empty()))
            sys.exit(1)


app = _Surveybot(
    help="surveybot: one closed question after every customer-service contact.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
flows_app = typer.Typer(help="List and validate flow files.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(flows_app, name="flows")
app.add_typer(db_app, name="db")
app.add_typer(telegram_app, name="telegram")
app.add_typer(whatsapp_app, name="whatsapp")
register_admin(app)
app.add_typer(contacts_app, name="contacts")
app.add_typer(retention_app, name="retention")


def setup_logging(level: str, fmt: LogFormat = "text") -> None:
    # Masks phone numbers and chat ids in every record; see bots/logging_setup.py.
    configure_logging(level, fmt)


@app.command()
def init(
    path: Annotated[Path, typer.Option(help="where to write the settings")] = Path(".env"),
) -> None:
    """Write a .env with fresh random secrets (leaves an existing file alone)."""
    from bots.cli.envfile import write_env_file  # noqa: PLC0415

    if path.exists():
        typer.echo(f"{path} exists; left as it is")
        return
    try:
        token = write_env_file(path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}", code=1)
    typer.echo(f"wrote {path}; your admin token is: {token}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
) -> None:
    """Migrate the database and serve the web app (webhooks, API, /docs)."""
    import uvicorn  # noqa: PLC0415

    from bots.app import create_app  # noqa: PLC0415
    from bots.container import build  # noqa: PLC0415

    settings = settings_or_exit()
    setup_logging(settings.log_level, resolve_format(settings.log_format, settings.env))
    try:
        web_app = create_app(container=build(settings))
    except (FlowFileError, ConfigError, ValueError) as exc:
        fail(f"not starting:{block(str(exc))}")
    # log_config=None: uvicorn's loggers go through our masked (JSON) root handler.
    uvicorn.run(
        web_app, host=host, port=port, log_level="info", log_config=None, **proxy_options(settings)
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn reads X-Forwarded-For/-Proto only from SURVEYBOT_TRUSTED_PROXIES. Its own default
    trusts 127.0.0.1, which would let anyone on the host pick the client address that failed
    sign-ins are counted under."""
    proxies = settings.proxies()
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or ""}


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="send what is due now, then stop")] = False,
) -> None:
    """Send queued invitations, reminders and retries. Run several on PostgreSQL."""
    import asyncio  # noqa: PLC0415
    import signal  # noqa: PLC0415

    from bots.container import build  # noqa: PLC0415

    settings = settings_or_exit()
    setup_logging(settings.log_level, resolve_format(settings.log_format, settings.env))
    try:
        container = build(settings)
    except (FlowFileError, ConfigError, ValueError) as exc:
        fail(f"not starting:{block(str(exc))}")
    # The channels only, for their senders: webhooks and alerts belong to `surveybot serve`.
    plugins = container.channels

    async def run() -> None:
        for plugin in plugins:
            await plugin.start()
        try:
            send_worker = container.worker
            if once:
                while await send_worker.run_once():
                    pass
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await send_worker.run_forever(stop)
        finally:
            for plugin in reversed(plugins):
                await plugin.stop()

    try:
        asyncio.run(run())
    finally:
        container.close()


app.command("invite")(invite_command)
app.command("why")(why_command)


@app.command("dev-fakes")
def dev_fakes(
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="port of the fake Twilio and Telegram APIs")
    ] = 8010,
    server: Annotated[
        str, typer.Option(help="the surveybot server the fakes deliver answers to")
    ] = "http://127.0.0.1:8000",
    env: Annotated[
        bool, typer.Option("--env", help="print the server's settings as shell exports, then stop")
    ] = False,
) -> None:
    """Run local fake Twilio and Telegram APIs, to try every channel without an account."""
    from bots.devfakes.app import banner, build_app, shell_exports  # noqa: PLC0415
    from bots.devfakes.config import DevFakes  # noqa: PLC0415

    fakes = DevFakes(port=port, server=server.rstrip("/"))
    if env:
        typer.echo(shell_exports(fakes), nl=False)
        return
    import uvicorn  # noqa: PLC0415

    typer.echo(banner(fakes))
    uvicorn.run(build_app(fakes), host="127.0.0.1", port=port, log_level="warning")


@app.command("try")
def try_flow(
    flow: Annotated[str, typer.Argument(help="flow id, e.g. nps, csat, ces")],
    locale: Annotated[str, typer.Option(help="nl or en")] = "nl",
    who: Annotated[str, typer.Option(help="the console contact's name")] = "console-user",
) -> None:
    """Answer a survey in the terminal, through the same engine and storage as every channel."""
    from bots.console import run_console_survey  # noqa: PLC0415
    from bots.container import build  # noqa: PLC0415

    check_locale(locale)
    settings = settings_or_exit()
    try:
        container = build(settings)
    except (FlowFileError, ValueError) as exc:
        fail(str(exc))
    try:
        code = run_console_survey(
            container.service, flow, locale=locale, who=who, inp=sys.stdin, out=sys.stdout
        )
    finally:
        container.close()
    raise typer.Exit(code)


@app.command("normalize")
def normalize_cmd(
    text: Annotated[
        str | None, typer.Argument(help="the answer; omit to read lines from stdin")
    ] = None,
    flow: Annotated[str, typer.Option(help="flow id")] = "nps",
    channel: Annotated[str, typer.Option(help="channel the answer came in on")] = "sms",
    locale: Annotated[str, typer.Option(help="nl or en")] = "nl",
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="add the rule that decided, each word's part in it, and the normaliser version",
        ),
    ] = False,
) -> None:
    """Print how an answer normalises, as one JSON line per answer."""
    if channel not in CHANNELS:
        fail(f"unknown channel '{channel}'; known channels: {', '.join(CHANNELS.names())}")
    check_locale(locale)
    settings = settings_or_exit()
    try:
        flows = load_flows(settings.flows_dir)
    except FlowFileError as exc:
        fail(str(exc))
    if flow not in flows:
        fail(f"unknown flow '{flow}'; known flows: {', '.join(sorted(flows))}")
    scale = flows[flow].scale
    lines = [text] if text is not None else (line.rstrip("\r\n") for line in sys.stdin)
    for line in lines:
        outcome = normalise(line, scale, locale=locale, channel=channel)
        typer.echo(json.dumps(outcome_json(outcome, explain=explain), ensure_ascii=False))


@flows_app.command("list")
def flows_list() -> None:
    """The flows this installation knows (bundled plus SURVEYBOT_FLOWS_DIR)."""
    settings = settings_or_exit()
    try:
        flows = load_flows(settings.flows_dir)
    except FlowFileError as exc:
        fail(str(exc))
    for flow in flows.values():
        scale = flow.scale
        follow = (
            f" follow-up {flow.follow_up.when_min}-{flow.follow_up.when_max}"
            if flow.follow_up
            else ""
        )
        typer.echo(
            f"{flow.id:<12} {flow.metric.value:<7} {scale.min}-{scale.max} "
            f"{scale.direction.value:<17}{follow}  {flow.name.en}"
        )


@flows_app.command("validate")
def flows_validate(
    path: Annotated[Path, typer.Argument(help="a flow file or a directory of them")],
) -> None:
    """Check flow files; every problem names the file, the field and what is wrong."""
    try:
        loaded = load_flow_dir(path) if path.is_dir() else {"": load_flow_file(path)}
    except FlowFileError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    if not loaded:
        fail(f"no flow files (*.toml) in {path}", code=1)
    typer.echo(f"ok: {len(loaded)} flow file(s) valid")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to SURVEYBOT_DATABASE_URL."""
    from scoring.migrate import current_revision  # noqa: PLC0415

    engine = engine_for(settings_or_exit(), migrate=True)
    typer.echo(f"database at revision {current_revision(engine)}")
    engine.dispose()


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision."""
    from scoring.migrate import current_revision  # noqa: PLC0415

    engine = engine_for(settings_or_exit())
    typer.echo(current_revision(engine) or "empty (run: surveybot db upgrade)")
    engine.dispose()
