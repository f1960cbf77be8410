"""The identity provider's memory: which opaque access tokens were issued and until when they are valid.

The gateway (auth "oidc") accepts a bearer token exactly while the registry says it is valid, so token expiry and
revocation are observable end to end: a client must fetch a token, reuse it, and fetch a new one when it expires.
Time is the simulation's clock, not scaled: a token lifetime is a property of the IdP, not of Camunda's work.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from drill.sim.clock import Clock


@dataclass(frozen=True)
class Issued:
    client_id: str
    audience: str | None
    expires_at: float


class TokenRegistry:
    """Issues and checks tokens for one confidential client. Not thread-safe: used behind the simulation's gate."""

    def __init__(self, clock: Clock, *, client_id: str, client_secret: str, lifetime_seconds: int) -> None:
        if lifetime_seconds <= 0:
            raise ValueError(f"a token lifetime must be positive, got {lifetime_seconds}")
        self.clock = clock
        self.client_id = client_id
        self._secret = client_secret
        self.lifetime_seconds = lifetime_seconds
        self._tokens: dict[str, Issued] = {}
        self.issued = 0

    def client_valid(self, client_id: str, client_secret: str) -> bool:
        return secrets.compare_digest(client_id.encode(), self.client_id.encode()) and secrets.compare_digest(
            client_secret.encode(), self._secret.encode()
        )

    def issue(self, audience: str | None = None) -> tuple[str, int]:
        """A new token and its lifetime in seconds (`expires_in`)."""
        now = self.clock.now()
        self._tokens = {t: i for t, i in self._tokens.items() if i.expires_at > now}  # forget expired ones
        token = secrets.token_urlsafe(32)
        self._tokens[token] = Issued(self.client_id, audience, now + self.lifetime_seconds)
        self.issued += 1
        return token, self.lifetime_seconds

    def valid(self, token: str) -> bool:
        issued = self._tokens.get(token)
        return issued is not None and self.clock.now() < issued.expires_at

    def revoke_all(self) -> None:
        """What an IdP restart with a new signing key does: every token stops working before its expiry."""
        self._tokens.clear()
