"""Public read-only share links: a signed token naming a community (and nothing personal).

The token is stateless (django.core.signing, salted); an admin revokes every link of a
community at once by bumping Community.settings["share_generation"].
"""

from django.core import signing

from accounts.models import Community

SALT = "ronde.dashboards.share"
MAX_AGE_S = 366 * 24 * 3600  # a published dashboard link lives a year at most


def share_token_make(*, community: Community) -> str:
    generation = int((community.settings or {}).get("share_generation", 0))
    return signing.dumps({"c": community.pk, "g": generation}, salt=SALT, compress=True)


def share_community(token: str) -> Community | None:
    """The community a token opens, or None if it is forged, expired or revoked."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_S)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    community = Community.objects.filter(pk=data["c"]).first()
    if community is None or int((community.settings or {}).get("share_generation", 0)) != data.get("g"):
        return None
    return community
