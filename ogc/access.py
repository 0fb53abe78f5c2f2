"""Who is calling and which community's collections they see.

Members of a community (session, HTTP Basic (accounts/basic.py) or `Authorization: Token …`)
see all its collections;
anyone else sees only what the community publishes (settings["publish_ogc"]). A user in
several communities picks one with ?community=<slug> or the X-Ronde-Community header.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed

from accounts.access import COMMUNITY_HEADER
from accounts.authentication import MembershipTokenAuthentication
from accounts.models import Community, User
from accounts.selectors import NoCommunity, membership_get_for_user

from .collections import Collection, is_published, visible_collections
from .errors import OgcError


@dataclass(frozen=True)
class Caller:
    community: Community | None
    member: bool

    def collections(self) -> list[Collection]:
        if self.community is None:
            return []
        return visible_collections(self.community, member=self.member)

    def collection(self, collection_id: str) -> Collection:
        for collection in self.collections():
            if collection.id == collection_id:
                return collection
        raise OgcError(404, "NotFound", f"No collection '{collection_id}' here.")


def _user(request: HttpRequest) -> User | AnonymousUser:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Token "):
        try:  # the API's own check: unknown, revoked or expired keys are a 401 saying which
            user, _token = MembershipTokenAuthentication().authenticate_credentials(header[6:].strip())
        except AuthenticationFailed as exc:
            raise OgcError(401, "Unauthorized", str(exc.detail)) from exc
        return user
    return request.user


def caller_get(request: HttpRequest, *, required: bool = True) -> Caller:
    """The caller and their community. `required`: an anonymous caller where nothing is public
    gets a 401 (the landing page, which only describes the service, passes False)."""
    slug = request.GET.get("community") or request.META.get(COMMUNITY_HEADER) or None
    user = _user(request)
    if isinstance(user, User) and user.is_authenticated:
        try:
            membership = membership_get_for_user(user=user, community_slug=slug)
            return Caller(membership.community, member=True)
        except NoCommunity:
            if not slug:
                return Caller(None, member=False)
    if slug:
        community = Community.objects.filter(slug=slug).first() if "\x00" not in slug else None
        if community is None:
            raise OgcError(404, "NotFound", f"community: unknown community '{slug}'.")
        if not is_published(community):
            status = 403 if user.is_authenticated else 401
            raise OgcError(status, "Forbidden", f"community: '{slug}' publishes nothing; log in as a member.")
        return Caller(community, member=False)
    # No community named: a single publishing community is the obvious one.
    candidates = (
        Community.objects.filter(settings__has_key="publish_ogc")
        .exclude(settings__publish_ogc=False)
        .exclude(settings__publish_ogc=[])
    )
    published = [c for c in candidates[:2] if is_published(c)]
    if required and not published and not user.is_authenticated:
        # Nothing anywhere is public: ask for credentials (GDAL and QGIS answer a 401 with
        # them; a 200 with no collection looked like an empty service).
        raise OgcError(401, "Unauthorized", "Nothing here is public; sign in (HTTP Basic or a token).")
    return Caller(published[0] if len(published) == 1 else None, member=False)
