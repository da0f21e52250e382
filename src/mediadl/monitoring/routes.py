"""``/metrics`` in the Prometheus text format. No login, unless ``monitoring.metrics_token``
is set: then it needs ``Authorization: Bearer <token>``."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from mediadl.app_context import ContextDep
from mediadl.core.errors import NotAuthenticated
from mediadl.monitoring.collect import render_metrics
from mediadl.monitoring.metrics import CONTENT_TYPE

router = APIRouter(tags=["monitoring"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics")
def metrics(request: Request, context: ContextDep) -> Response:
    _check_token(request, context)
    return Response(render_metrics(context), media_type=CONTENT_TYPE)


def _check_token(request: Request, context: ContextDep) -> None:
    token = context.settings.monitoring.metrics_token
    if token is None:
        return
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.get_secret_value().encode()):
        raise NotAuthenticated("Send the metrics token: 'Authorization: Bearer <token>'.",
                               headers={"WWW-Authenticate": "Bearer"})
