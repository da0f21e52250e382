"""``/metrics`` in the Prometheus text format, for the metrics token or an admin.

A scraper sends ``Authorization: Bearer <monitoring.metrics_token>``; a person (or a
script with an API token) logged in as an admin may read it too. Nobody else: the
numbers tell how much is downloaded from where (docs/adr/0011).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Response

from mediadl.app_context import ContextDep
from mediadl.auth.deps import BearerCredentials, current_auth, require_admin
from mediadl.core.settings import Settings
from mediadl.monitoring.collect import render_metrics
from mediadl.monitoring.metrics import CONTENT_TYPE

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", response_class=Response,
            summary="Prometheus metrics (the metrics token, or an admin login)")
def metrics(context: ContextDep, credentials: BearerCredentials) -> Response:
    if not _is_metrics_token(context.settings, credentials):
        # 401 without a valid login, 403 for a login that is not an admin's.
        require_admin(current_auth(context.db, context.settings, credentials).user)
    return Response(render_metrics(context), media_type=CONTENT_TYPE)


def _is_metrics_token(settings: Settings, credentials: BearerCredentials) -> bool:
    token = settings.monitoring.metrics_token
    if token is None or credentials is None:
        return False
    return hmac.compare_digest(credentials.credentials.encode(),
                               token.get_secret_value().encode())
