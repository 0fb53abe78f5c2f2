"""API token authentication that costs one query per request, shared by the middleware and DRF.

AccessMiddleware must know the caller's role before any view runs, so it authenticates the
token itself; DRF would then authenticate it again. Both go through this class: the lookup
joins token → user → membership → community in one query (accounts.selectors), and the
result is kept on the request for DRF and the tile views.

Tokens are accounts.ApiToken rows (only the key's digest is stored). An expired token is a
401 that says so (code "token_expired"): a script or app then asks POST /api/v1/auth/token/
for a new one instead of retrying.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken, Membership, token_digest
from .selectors import api_token_get, membership_get_for_token

CACHE_ATTRIBUTE = "_ronde_token_auth"


class TokenExpired(AuthenticationFailed):
    default_code = "token_expired"


class MembershipTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, with the membership in `community_slug` fetched at once."""

    model = ApiToken

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
        if membership is not None:
            self.membership = membership
            # The token row itself is rarely needed: an unsaved stand-in (its digest tells the
            # token list which one is the caller's) saves a query.
            return membership.user, ApiToken(key_hash=token_digest(key), user=membership.user)
        # No membership: an unknown, expired or revoked key, an inactive user (401), or a
        # valid token of a non-member (its user, without a membership: a 403 later).
        token = api_token_get(key=key)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed(_("Invalid token."))
        if token.expires_at <= timezone.now():
            raise TokenExpired(
                _("This API token expired on %(date)s. Get a new one: POST /api/v1/auth/token/.")
                % {"date": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")}
            )
        return token.user, token
