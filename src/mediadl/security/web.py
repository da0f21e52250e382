"""Everything the security package adds to the web app, installed in one call."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from mediadl.core.settings import Settings
from mediadl.security.addresses import OutboundPolicy
from mediadl.security.client import trusted_networks
from mediadl.security.headers import SecurityHeadersMiddleware
from mediadl.security.openapi import install_error_docs
from mediadl.security.origins import validated_origins

CORS_METHODS = ["GET", "POST", "PATCH", "DELETE"]
CORS_HEADERS = ["Authorization", "Content-Type", "Range", "Idempotency-Key"]
CORS_EXPOSED = ["Content-Disposition", "Content-Range", "Retry-After"]


def check_security_settings(settings: Settings) -> None:
    """Refuse to start with a setting that would open a hole (ValueError says which)."""
    validated_origins(settings.cors_origins, "MEDIADL_CORS_ORIGINS")
    validated_origins(settings.security.allowed_origins, "MEDIADL_SECURITY__ALLOWED_ORIGINS")
    trusted_networks(settings)
    OutboundPolicy.from_strings(settings.security.allowed_networks)


def install_security(app: FastAPI, settings: Settings, api_prefix: str) -> None:
    check_security_settings(settings)
    install_error_docs(app)
    cors_origins = validated_origins(settings.cors_origins, "MEDIADL_CORS_ORIGINS")
    if cors_origins:
        # An exact list, never a reflected Origin; no credentials, so the refresh cookie
        # never travels cross-site (other sites use bearer tokens).
        app.add_middleware(CORSMiddleware, allow_origins=cors_origins,
                           allow_credentials=False, allow_methods=CORS_METHODS,
                           allow_headers=CORS_HEADERS, expose_headers=CORS_EXPOSED,
                           max_age=600)
    # Added last, so it is the outermost: even CORS answers carry the headers.
    app.add_middleware(SecurityHeadersMiddleware, settings=settings, docs_path=app.docs_url,
                       api_prefix=api_prefix)
