"""The FastAPI application."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bots.admin.audit_pages import router as audit_router
from bots.admin.pushes import router as pushes_router
from bots.admin.routes import router as admin_router
from bots.api.docs import install_docs
from bots.api.routes import (
    cases,
    contacts,
    export,
    flows,
    health,
    insights,
    interactions,
    invitations,
    metrics,
    offers,
    rehearsals,
    responses,
)
from bots.body_limit import BodyLimit
from bots.connectors.routes import connectors_router
from bots.container import Container, build
from bots.observability import install_observability
from bots.safety_net import WebhookSafetyNet
from bots.security_headers import SecurityHeaders
from bots.settings import Settings, load_settings


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app; everything is wired before the first request, so bad config fails fast."""
    container = container or build(settings or load_settings())
    plugins = container.plugins

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        container.db.start_checkpointer()  # SQLite: WAL checkpoints off the commits
        container.db.start_group_commit()  # SQLite: answers in one loop turn share a COMMIT
        for plugin in plugins:
            await plugin.start()
        # What start-up built (the app, flows, PTB and SQLAlchemy internals) lives as long as
        # the process: moved out of the collector's reach, a full collection no longer walks it
        # (measured: the one full pass in a benchmark run stalled the event loop 70 ms -> 11 ms).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app built again in this process (tests) must not pile up
            for plugin in reversed(plugins):
                await plugin.stop()
            container.close()

    app = FastAPI(
        title="surveybot",
        summary="One closed question after every customer-service contact.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
    )
    install_docs(app)
    app.state.container = container
    app.add_middleware(WebhookSafetyNet)
    app.add_middleware(BodyLimit)
    # Outermost, so that a 413 or a safety-net answer carries the headers too.
    app.add_middleware(SecurityHeaders, hsts=container.settings.env == "production")
    # Webhooks first: the router tries routes in order, and they carry the traffic.
    for plugin in plugins:
        router = plugin.router()
        if router is not None:
            app.include_router(router)
    app.include_router(connectors_router(container))
    app.include_router(health.router)
    app.include_router(invitations.router)
    app.include_router(interactions.router)
    app.include_router(flows.router)
    app.include_router(contacts.router)
    install_observability(app, container)  # GET /metrics and the webhook latency timer
    for own in (
        metrics.router,
        insights.router,
        offers.router,
        responses.router,
        export.router,
        cases.router,
        rehearsals.router,
        audit_router,
        admin_router,
        pushes_router,
    ):
        app.include_router(own)
    return app
