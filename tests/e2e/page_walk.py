"""The pages of the French (or English) UI, as each role sees them: read from the permission
table (accounts/access.py) and the URLconf, filled with the objects of tests/security/world.py.

Shared by the accessibility tests that check every page (language of each text, reflow).
"""

from dataclasses import dataclass

from django.conf import settings
from django.test import Client

from accounts.access import ANONYMOUS, rule_for
from accounts.models import Role
from tests.security.test_permission_matrix import build_path, walk
from tests.security.world import World

ROLES = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER, ANONYMOUS)
# Pages left out of the walk, and why.
SKIPPED = {
    "logout": "ends the session",
    "oidc-login": "sends to an identity provider",
    "oidc-callback": "answers an identity provider",
    "password_reset_confirm": "needs a mailed token",
    "dispatch:sheet-pdf": "a PDF",
    "dashboards:export": "a CSV or GeoPackage file",
    "map-feature": "a fragment the map loads, with its parameters",
    "map-list": "a fragment the map loads, with its parameters",
    "geodata:import-preview": "needs an uploaded file",
    "two-factor": "only while a code is owed",
}
# HTML pages outside the page rules: the OGC API's HTML views and the API reference.
EXTRA = {
    ANONYMOUS: ["/api/reference/"],
    Role.VIEWER: [
        "/ogc/?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/interventions?f=html",
        "/ogc/collections/interventions/items?f=html",
        "/ogc/collections/interventions/queryables?f=html",
        "/ogc/conformance?f=html",
    ],
}


@dataclass(frozen=True)
class Visit:
    role: str
    path: str
    view_name: str


def pages_for(world: World, role: str, seen: set[str] | None = None) -> list[Visit]:
    """Every HTML page `role` may read, once each, with the world's own objects; with `seen`,
    only the home page and the pages not in it (a page read by an earlier role), then adds them."""
    out: dict[str, Visit] = {}
    for pattern in walk():
        name = pattern.view_name
        rule = rule_for(name)
        if rule is None or not rule.page or rule.delegated or name in SKIPPED:
            continue
        roles = rule.roles_for("GET")
        if not (ANONYMOUS in roles or role in roles):
            continue
        path = build_path(pattern, world, world.own)
        out.setdefault(path, Visit(role, path, name))
    for path in EXTRA.get(role, []):
        out.setdefault(path, Visit(role, path, path))
    if seen is None:
        return list(out.values())
    fresh = [v for v in out.values() if v.path == "/" or v.path not in seen]
    seen.update(v.path for v in fresh)
    return fresh


def sign_in(context, live_server, world: World, role: str) -> None:
    """The role's session cookie in the browser (force_login: no form, no lockout)."""
    if role == ANONYMOUS:
        return
    client = Client()
    client.force_login(world.users[role])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def world_texts(world: World) -> list[str]:
    """The data of the world (names, notes), which is the users' text, not the UI's."""
    texts: list[str] = [world.own.community.name]
    for value in world.own.objects.values():
        for attr in ("name", "description", "notes", "username", "code", "original_name"):
            text = getattr(value, attr, "")
            if isinstance(text, str) and text:
                texts.append(text)
    texts += [user.username for user in world.users.values()]
    texts += [f"{user.first_name} {user.last_name}".strip() for user in world.users.values()]
    return sorted({t.strip() for t in texts if t.strip()}, key=len, reverse=True)
