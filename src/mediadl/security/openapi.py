"""The error answers in the OpenAPI schema.

FastAPI documents only the success answer and its own 422 shape; ours is one body
(``{"error", "detail"}``) for every failure. Every operation gets the statuses any route
can give (API.md, "Errors"), so clients and schema checkers know every answer's shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA_NAME = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "The kind of error, e.g. NotFound."},
        "detail": {"type": "string", "description": "A sentence a person can act on."},
    },
}
COMMON_ERRORS = {
    "400": "The request cannot be processed.",
    "403": "Not allowed (an admin-only action, or a write from another site).",
    "404": "Not found (also someone else's object).",
    "409": "Conflicts with the current state.",
    "413": "The request is too large.",
    "422": "The request is not valid.",
    "429": "Too many requests; wait for Retry-After seconds.",
}
NOT_AUTHENTICATED = "Not logged in, or the credentials or token are not valid."
RANGE_ERROR = "The requested byte range lies outside the file."
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    for component in ("HTTPValidationError", "ValidationError"):
        components.pop(component, None)
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                _document(item[method], path)
    return schema


def _document(operation: dict[str, Any], path: str) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in COMMON_ERRORS.items():
        responses[status] = error_response(description)
    responses["429"]["headers"] = {"Retry-After": {
        "description": "Seconds to wait.", "schema": {"type": "integer"}}}
    # Login and refresh answer 401 for bad credentials too, so every operation has it.
    responses["401"] = error_response(NOT_AUTHENTICATED)
    if path.endswith("/file"):
        responses["416"] = error_response(RANGE_ERROR)


def install_error_docs(app: FastAPI) -> None:
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_error_responses(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
