"""Everything the security package adds to the web app, installed in one call."""

from __future__ import annotations

from fastapi import FastAPI

from mediadl.core.settings import Settings
from mediadl.security.addresses import OutboundPolicy
from mediadl.security.body_limit import BodyLimitMiddleware
from mediadl.security.client import trusted_networks
from mediadl.security.cors import LiveCORSMiddleware
from mediadl.security.headers import SecurityHeadersMiddleware
from mediadl.security.nul import NulRefusingMiddleware
from mediadl.security.openapi import install_error_docs
from mediadl.security.origins import validated_origins


def check_security_settings(settings: Settings) -> None:
    """Refuse to start with a setting that would open a hole (ValueError says which)."""
    validated_origins(settings.cors_origins, "MEDIADL_CORS_ORIGINS")
    validated_origins(settings.security.allowed_origins, "MEDIADL_SECURITY__ALLOWED_ORIGINS")
    trusted_networks(settings)
    OutboundPolicy.from_strings(settings.security.allowed_networks)


def install_security(app: FastAPI, settings: Settings, api_prefix: str) -> None:
    check_security_settings(settings)
    install_error_docs(app)
    # The last one added is the outermost. The body cap sits inside CORS and the headers,
    # so a 413 carries both; CORS is always installed because its list can change at run
    # time (it reads the live settings object on every request).
    app.add_middleware(NulRefusingMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(LiveCORSMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings, docs_path=app.docs_url,
                       api_prefix=api_prefix)
