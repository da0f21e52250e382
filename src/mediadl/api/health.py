from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mediadl.app_context import ContextDep
from mediadl.monitoring.health import health_report

router = APIRouter()


@router.get("/health", tags=["health"], response_model=dict[str, Any])
def health(context: ContextDep) -> JSONResponse:
    """``{status, database, broker, workers, disk, problems}``; 503 only when the database
    cannot be reached."""
    report, database_ok = health_report(context)
    return JSONResponse(report, status_code=200 if database_ok else 503)
