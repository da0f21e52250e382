"""The FastAPI application: routers of every feature, one error handler, the static UI."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from mediadl import __version__
from mediadl.api import health
from mediadl.api.errors import install_error_handlers
from mediadl.api.static import install_static_ui
from mediadl.app_context import AppContext
from mediadl.auth.routes import router as auth_router
from mediadl.library.routes import router as library_router
from mediadl.logs.routes import router as logs_router
from mediadl.media.routes import router as media_router
from mediadl.monitoring.routes import router as metrics_router
from mediadl.notifications.routes import router as notifications_router
from mediadl.platforms.routes import router as platforms_router
from mediadl.platforms.routes import settings_router as platform_settings_router
from mediadl.queue.routes import downloads_router as enqueue_from_library_router
from mediadl.queue.routes import router as queue_router
from mediadl.realtime.routes import ticket_router as ws_ticket_router
from mediadl.realtime.routes import ws_router
from mediadl.schedules.routes import router as scheduler_router
from mediadl.security.routes import router as activity_router
from mediadl.security.web import install_security
from mediadl.settings.routes import router as settings_router
from mediadl.stats.routes import router as stats_router
from mediadl.storage.routes import router as storage_router

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(auth_router)
    router.include_router(ws_ticket_router)
    router.include_router(media_router)
    router.include_router(queue_router)
    router.include_router(enqueue_from_library_router)
    router.include_router(library_router)
    router.include_router(activity_router)
    router.include_router(scheduler_router)
    router.include_router(platforms_router)
    router.include_router(platform_settings_router)
    router.include_router(settings_router)
    router.include_router(stats_router)
    router.include_router(storage_router)
    router.include_router(notifications_router)
    router.include_router(logs_router)
    return router


def create_app(context: AppContext) -> FastAPI:
    app = FastAPI(
        title="mediadl",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.context = context
    install_error_handlers(app)
    install_security(app, context.settings, API_PREFIX)
    app.include_router(api_router())
    app.include_router(health.router)
    app.include_router(metrics_router)
    app.include_router(ws_router)
    install_static_ui(app)  # answers only what no route claimed
    return app
