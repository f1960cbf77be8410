"""A minimal OAuth 2.0 token endpoint (client credentials only), standing in for Keycloak or Entra ID.

Enough of RFC 6749 for the drill's OIDC client: `POST /oauth/token` with a form `grant_type=client_credentials`,
the client's id and secret in the form or as HTTP basic (`client_secret_basic`), an optional `audience`; errors
are `{"error": ...}` with 400 or 401 as §5.2 prescribes. Tokens are opaque random strings the gateway checks
against the same registry.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from drill.sim.http.common import Gate
from drill.sim.model.identity import TokenRegistry

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers={**NO_STORE, **(headers or {})}
    )


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def create_identity_app(gate: Gate[Any], tokens: TokenRegistry) -> Starlette:
    async def token(request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith(FORM):
            return _error(400, "invalid_request", f"Expected a {FORM} body")
        async with request.form() as form:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
        grant_type = fields.get("grant_type")
        if not grant_type:
            return _error(400, "invalid_request", "Missing form parameter: grant_type")
        if grant_type != "client_credentials":
            return _error(400, "unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
        basic = _basic_credentials(request.headers.get("authorization"))
        client_id, secret = basic if basic else (fields.get("client_id", ""), fields.get("client_secret", ""))
        if not gate.call(lambda: tokens.client_valid(client_id, secret)):
            return _error(401, "invalid_client", "Invalid client or Invalid client credentials")
        audience = fields.get("audience") or None
        access_token, expires_in = gate.call(lambda: tokens.issue(audience))
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in, "scope": ""}
        return JSONResponse(body, headers=NO_STORE)

    return Starlette(routes=[Route("/oauth/token", token, methods=["POST"])])
