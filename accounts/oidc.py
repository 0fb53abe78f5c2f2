"""Sign-in with a community's OpenID Connect provider (Authlib: discovery, PKCE, ID token).

The flow is the authorization code flow with PKCE (S256) and a nonce. Authlib keeps the state,
nonce and code verifier in the session, exchanges the code, and checks the ID token (signature
from the provider's JWKS, issuer, audience, expiry, nonce). Then the identity is matched here:
its email (case-insensitive) must be the email of exactly one active user who has a membership
of the provider's OWN community; nobody joins a community by signing in, and a provider of one
community never opens a session for a member of another one only.

The second factor (accounts/twofactor.py) still applies: an administrator or dispatcher of a
community that requires TOTP types a code after signing in through the provider too (the
provider's own MFA is not visible to us in a way every provider reports the same, so it does
not count). Refusals are not counted by the login throttle (django-axes): no password is
guessed here, the provider authenticated the person.
"""

import logging
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.django_client import OAuth, OAuthError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import IdentityProvider, Membership, User

logger = logging.getLogger("ronde.oidc")

SCOPE = "openid email profile"
SESSION_NEXT = "oidc_next"
SESSION_PROVIDER = "oidc_provider_id"
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key name, not a secret)
HTTP_TIMEOUT = 10  # seconds, every call to the provider (discovery, token, JWKS)
BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInRefused(Exception):
    """The provider vouched for someone who may not enter this community (message for them)."""


def _client(provider: IdentityProvider) -> Any:
    """A fresh Authlib client for this provider (settings may have changed since the last one)."""
    oauth = OAuth()
    name = f"idp{provider.pk}"
    oauth.register(
        name=name,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": HTTP_TIMEOUT},
    )
    return oauth.create_client(name)


def identity_match(*, provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The user the provider's identity opens in its community, or SignInRefused."""
    email = str(claims.get("email") or "").strip()
    if not email or "@" not in email:
        raise SignInRefused(_("The identity provider did not give an email address."))
    if claims.get("email_verified") is False:
        raise SignInRefused(_("The identity provider has not verified this email address."))
    domains = provider.email_domains()
    if domains and email.rsplit("@", 1)[1].lower() not in domains:
        raise SignInRefused(_("This email domain is not accepted by this community."))
    users = list(
        User.objects.filter(
            email__iexact=email,
            pk__in=Membership.objects.filter(community_id=provider.community_id).values("user_id"),
        )[:2]
    )
    if not users:
        raise SignInRefused(_("No account of this community has this email address. Ask your administrator."))
    if len(users) > 1:
        raise SignInRefused(
            _("Several accounts of this community have this email address. Ask your administrator.")
        )
    if not users[0].is_active:
        raise SignInRefused(_("This account is deactivated."))
    return users[0]


def _provider(provider_id: int) -> IdentityProvider:
    return get_object_or_404(
        IdentityProvider.objects.select_related("community"), pk=provider_id, enabled=True
    )


def _refused(request: HttpRequest, text: str) -> HttpResponse:
    """Back to the login page with the reason, still going where the person was going."""
    messages.error(request, text)
    next_url = request.session.pop(SESSION_NEXT, "")
    return HttpResponseRedirect(
        f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}" if next_url else settings.LOGIN_URL
    )


@never_cache
@require_GET
def oidc_login(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = _provider(provider_id)
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[SESSION_NEXT] = next_url
    else:
        request.session.pop(SESSION_NEXT, None)
    callback = request.build_absolute_uri(reverse("oidc-callback", args=[provider.pk]))
    try:
        return _client(provider).authorize_redirect(request, callback)
    except Exception:  # the provider is down or its discovery document is wrong
        logger.exception("OIDC discovery failed for provider %s", provider.pk)
        return _refused(request, _("The identity provider cannot be reached. Try again later."))


@never_cache
@require_GET
def oidc_callback(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = _provider(provider_id)
    try:
        token = _client(provider).authorize_access_token(request)
    except OAuthError as exc:
        logger.info("OIDC sign-in failed at provider %s: %s", provider.pk, exc)
        return _refused(request, _("The sign-in with the identity provider failed."))
    except Exception:
        logger.exception("OIDC token exchange failed for provider %s", provider.pk)
        return _refused(request, _("The sign-in with the identity provider failed."))
    claims = token.get("userinfo")
    if not claims:  # no ID token (not OpenID Connect, or no nonce in the session)
        return _refused(request, _("The sign-in with the identity provider failed."))
    try:
        user = identity_match(provider=provider, claims=dict(claims))
    except SignInRefused as refusal:
        logger.info(
            "OIDC sign-in refused at provider %s for %r: %s", provider.pk, claims.get("email"), refusal
        )
        return _refused(request, str(refusal))
    next_url = request.session.pop(SESSION_NEXT, "") or settings.LOGIN_REDIRECT_URL
    login(request, user, backend=BACKEND)  # a new session key (no fixation)
    request.session[SESSION_PROVIDER] = provider.pk
    request.session[SESSION_ID_TOKEN] = token.get("id_token", "")
    return HttpResponseRedirect(next_url)


class RondeLogoutView(LogoutView):
    """Django's logout, then the provider's logout (RP-initiated) when the session came from
    one that offers an end_session_endpoint; back to the login page afterwards."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider_id = request.session.get(SESSION_PROVIDER)
        id_token = request.session.get(SESSION_ID_TOKEN, "")
        response = super().post(request, *args, **kwargs)
        if not provider_id:
            return response
        provider = IdentityProvider.objects.filter(pk=provider_id, enabled=True).first()
        if provider is None:
            return response
        try:
            client = _client(provider)
            metadata = client.load_server_metadata()
            if not metadata.get("end_session_endpoint"):
                return response
            return client.logout_redirect(
                request,
                post_logout_redirect_uri=request.build_absolute_uri(settings.LOGIN_URL),
                id_token_hint=id_token or None,
                client_id=provider.client_id,
            )
        except Exception:  # logged out here already; the provider's session stays
            logger.exception("OIDC logout at provider %s failed", provider.pk)
            return response
