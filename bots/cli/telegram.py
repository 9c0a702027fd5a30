"""`surveybot telegram set-webhook` and `surveybot telegram poll`."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from typing import Annotated

import typer
from telegram.error import InvalidToken, TelegramError

from bots.cli.common import fail, settings_or_exit
from bots.settings import Settings

telegram_app = typer.Typer(help="Telegram: register the webhook or poll.", no_args_is_help=True)

WEBHOOK_PATH = "/webhooks/telegram"
# Bot API: secret_token is 1-256 characters from A-Z, a-z, 0-9, _ and -.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _settings() -> Settings:
    settings = settings_or_exit()
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        fail("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token")
    return settings


def _api_error(exc: TelegramError) -> str:
    if isinstance(exc, InvalidToken):  # its message holds the token: never print it
        return "the Bot API rejected TELEGRAM_BOT_TOKEN"
    return f"the Bot API said: {exc.message}"


@telegram_app.command("set-webhook")
def set_webhook(
    drop_pending: Annotated[
        bool, typer.Option(help="discard updates Telegram queued while nothing listened")
    ] = False,
) -> None:
    """Point Telegram at SURVEYBOT_PUBLIC_URL/webhooks/telegram, with the secret token."""
    from bots.telegram.client import build_bot  # noqa: PLC0415
    from bots.telegram.polling import ALLOWED_UPDATES  # noqa: PLC0415

    settings = _settings()
    if not settings.public_url or not settings.public_url.startswith("https://"):
        fail("SURVEYBOT_PUBLIC_URL must be the public https:// URL Telegram can reach")
    secret = settings.telegram_webhook_secret
    if secret is None or not _SECRET_TOKEN.fullmatch(secret.get_secret_value()):
        fail("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    url = settings.public_url + WEBHOOK_PATH
    token = settings.telegram_bot_token.get_secret_value()  # type: ignore[union-attr]

    async def register() -> None:
        async with build_bot(token, settings.telegram_api_base_url) as bot:
            await bot.set_webhook(
                url=url,
                secret_token=secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=drop_pending,
            )
            typer.echo(f"webhook set: @{bot.username} -> {url}")

    try:
        asyncio.run(register())
    except TelegramError as exc:
        fail(_api_error(exc), 1)


@telegram_app.command()
def poll(
    timeout: Annotated[int, typer.Option(help="long-poll seconds per getUpdates")] = 30,
) -> None:
    """Fetch updates with getUpdates (no public URL needed); removes a webhook first."""
    from bots.container import build  # noqa: PLC0415
    from bots.telegram.plugin import TelegramPlugin  # noqa: PLC0415
    from bots.telegram.polling import Poller  # noqa: PLC0415

    settings = _settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        container = build(settings)
    except ValueError as exc:
        fail(f"not starting:\n{exc}")
    # The container's own Telegram channel: a deep link's question is sent from here too.
    plugin = container.channel("telegram")
    assert isinstance(plugin, TelegramPlugin)  # noqa: S101
    runtime = plugin.runtime
    assert runtime is not None  # noqa: S101  (the token was checked above)

    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await runtime.start()
        try:
            await runtime.bot.delete_webhook()
            typer.echo(f"polling as @{await runtime.username()}; Ctrl-C stops")
            await Poller(runtime, timeout=timeout).run()
        finally:
            await runtime.stop()

    try:
        asyncio.run(run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        typer.echo("stopped")
    except TelegramError as exc:
        fail(_api_error(exc), 1)
    finally:
        container.close()
