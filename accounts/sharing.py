"""Public read-only share links: a signed token naming a community (and nothing personal).

The token is stateless (django.core.signing, salted); an admin revokes every link of a
community at once by bumping Community.settings["share_generation"] (share_links_revoke).
The dashboards publish these links and the heatmap tiles accept them: both read them here.
"""

from django.core import signing
from django.db import transaction

from .models import Community

# The salt tokens were signed with when this module lived in dashboards/: changing it would
# void every link already published.
SALT = "ronde.dashboards.share"
MAX_AGE_S = 366 * 24 * 3600  # a published dashboard link lives a year at most


def _generation(community: Community) -> int:
    return int((community.settings or {}).get("share_generation", 0))


def share_token_make(*, community: Community) -> str:
    return signing.dumps({"c": community.pk, "g": _generation(community)}, salt=SALT, compress=True)


def share_community(token: str) -> Community | None:
    """The community a token opens, or None if it is forged, expired or revoked."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_S)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    community = Community.objects.filter(pk=data["c"]).first()
    if community is None or _generation(community) != data.get("g"):
        return None
    return community


@transaction.atomic
def share_links_revoke(*, community: Community) -> Community:
    """Invalidate every share link of the community issued so far; returns the community as
    saved (links made from it from now on work)."""
    locked = Community.objects.select_for_update().get(pk=community.pk)
    settings = dict(locked.settings or {})
    settings["share_generation"] = _generation(locked) + 1
    locked.settings = settings
    locked.save(update_fields=["settings", "updated_at"])
    return locked
