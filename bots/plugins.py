"""Channel plug-ins: each channel brings its senders, its routes and its start/stop hooks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from fastapi import APIRouter

from bots.container import Container
from flows.ports import Sender


class ChannelPlugin(Protocol):
    name: str

    # Each under the name of a channel registered in bots/channels.py.
    def senders(self) -> Mapping[str, Sender]: ...

    def router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


PluginFactory = Callable[[Container], ChannelPlugin]


def plugin_factories() -> list[PluginFactory]:
    """Every channel this build knows; each decides for itself whether it is configured."""
    from bots.telegram.plugin import telegram_plugin  # noqa: PLC0415
    from bots.twilio.plugin import twilio_plugin  # noqa: PLC0415

    return [twilio_plugin, telegram_plugin]
