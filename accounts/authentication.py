"""API token authentication that costs one query per request, shared by the middleware and DRF.

AccessMiddleware must know the caller's role before any view runs, so it authenticates the
token itself; DRF would then authenticate it again. Both go through this class: the lookup
joins token → user → membership → community in one query (accounts.selectors), and the
result is kept on the request for DRF and the tile views.
"""

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .models import Membership
from .selectors import membership_get_for_token

CACHE_ATTRIBUTE = "_ronde_token_auth"


class MembershipTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, with the membership in `community_slug` fetched at once."""

    def __init__(self, community_slug: str | None = None) -> None:
        self.community_slug = community_slug
        self.membership: Membership | None = None

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        django_request = getattr(request, "_request", request)  # DRF wraps Django's request
        cached = getattr(django_request, CACHE_ATTRIBUTE, None)
        if cached is not None:
            return cached
        found = super().authenticate(request)
        if found is not None:
            setattr(django_request, CACHE_ATTRIBUTE, found)
        return found

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        membership = membership_get_for_token(key=key, community_slug=self.community_slug)
        if membership is None:
            # Unknown key or inactive user: DRF's own check raises the usual 401. A valid
            # token of a non-member returns its user without a membership (a 403 later).
            return super().authenticate_credentials(key)
        self.membership = membership
        # The Token row itself is not needed by any view: an unsaved stand-in saves a query.
        return membership.user, Token(key=key, user=membership.user)
