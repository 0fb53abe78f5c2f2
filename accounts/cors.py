"""CORS on the public, read-only endpoints (django-cors-headers): a community's website may
read what the community publishes (OGC API, WFS, Open311) from the browser.

Origins are allow-listed per community, in `community.settings["cors_origins"]` (a list such
as ["https://www.poitiers.fr"]; no migration, edited in the admin with the other settings).
A request naming a community (?community=<slug>, X-Ronde-Community) is allowed only for that
community's origins; one naming none, for any community's. No credentials are allowed
(CORS_ALLOW_CREDENTIALS off): a cross-origin page reads only what anyone may read.
"""

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .access import COMMUNITY_HEADER
from .models import Community

SETTING = "cors_origins"


def community_allows_origin(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """corsheaders.signals.check_request_enabled: True when a community lists the Origin."""
    origin = request.headers.get("Origin", "")
    # The signal is asked for every URL (it widens CORS_URLS_REGEX): only the public ones.
    if not origin or not re.match(settings.CORS_URLS_REGEX, request.path_info):
        return False
    communities = Community.objects.filter(**{f"settings__{SETTING}__contains": [origin]})
    slug = request.GET.get("community") or request.META.get(COMMUNITY_HEADER)
    if slug and "\x00" in slug:
        return False
    if slug:
        communities = communities.filter(slug=slug)
    return communities.exists()
