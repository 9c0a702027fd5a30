"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bots.api.routes import flows, health, invitations
from bots.container import Container, build
from bots.plugins import plugin_factories
from bots.settings import Settings, load_settings


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app; everything is wired before the first request, so bad config fails fast."""
    container = container or build(settings or load_settings())
    plugins = [factory(container) for factory in plugin_factories()]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for plugin in plugins:
            await plugin.start()
        try:
            yield
        finally:
            for plugin in reversed(plugins):
                await plugin.stop()
            container.close()

    app = FastAPI(
        title="surveybot",
        summary="One closed question after every customer-service contact.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.container = container
    app.include_router(health.router)
    app.include_router(invitations.router)
    app.include_router(flows.router)
    for plugin in plugins:
        container.senders.update(plugin.senders())
        router = plugin.router()
        if router is not None:
            app.include_router(router)
    return app
