"""The Twilio channel plug-in (placeholder until the Twilio adapter lands)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter

from bots.container import Container
from flows.ports import Sender


class TwilioPlugin:
    name = "twilio"

    def __init__(self, container: Container) -> None:
        self.container = container

    def senders(self) -> Mapping[str, Sender]:
        return {}

    def router(self) -> APIRouter | None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def twilio_plugin(container: Container) -> TwilioPlugin:
    return TwilioPlugin(container)
