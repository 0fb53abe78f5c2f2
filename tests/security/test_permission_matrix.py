"""Every URL of the URLconf × every principal, checked against accounts/access.py RULES.

For each URL pattern (walked recursively from the root resolver) the path parameters are
filled with ids of objects of the caller's own community, then of another one. Then:
- a URL without a rule fails ("no rule for <name>");
- a role the rule allows is never refused (401/403) in its own community, and never
  gets a 5xx; a role the rule does not allow is refused (401/403/404, or sent to a login page);
- another community's objects are never readable (404/403), and a community the caller is not
  a member of (?community=<slug>) is refused;
- no response to the caller contains the other community's marker text (LEAK).
A new URL needs a rule in accounts/access.py and, when it has a new path parameter, a value
below (PARAMS / PARAMS_BY_VIEW).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from accounts.access import ANONYMOUS, SAFE_METHODS, rule_for
from accounts.models import Role, User
from accounts.services import api_token_create
from tests.factories import member
from tests.security.world import LEAK, Side, World, build_world

pytestmark = pytest.mark.django_db

PARTNER = "partner"
PRINCIPALS = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER, ANONYMOUS, PARTNER)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DENIED = {401, 403, 404, 405}
# Parameters that are capabilities rather than object ids: whoever holds another community's
# share token may read what it opens (by design), so the other-community check skips them.
CAPABILITIES = {"token", "uidb64"}

# --- Path parameter values: (world, side) -> str ------------------------------------------
Value = Callable[[World, Side], Any]
KIND_BY_VIEW_PREFIX = {
    "asset-category": "asset_category",
    "asset": "asset",
    "zone": "zone",
    "report": "report",
    "intervention": "intervention",
    "category": "category",
    "team": "team",
    "mission": "mission",
    "dispatch:sheet": "mission",
    "dispatch:api-progress": "mission",
    "dispatch:template": "template",
    "dispatch:api-template": "template",
    "administration:team": "team",
    "administration:category": "category",
    "administration:asset-category": "asset_category",
    "administration:zone": "zone",
    "administration:partner": "partner",
}
ADMIN_MODELS = {
    "interventions_intervention": "intervention",
    "interventions_mission": "mission",
    "interventions_report": "report",
    "interventions_category": "category",
    "interventions_photo": "photo",
    "accounts_team": "team",
    "geo_zone": "zone",
    "geo_asset": "asset",
    "geo_assetcategory": "asset_category",
}


def _pk(view_name: str, side: Side) -> Any:
    for prefix, kind in sorted(KIND_BY_VIEW_PREFIX.items(), key=lambda kv: -len(kv[0])):
        if view_name.startswith(prefix):
            return side[kind].pk
    raise LookupError(f"no object for pk of {view_name}")


def _admin_object(view_name: str, side: Side) -> Any:
    for key, kind in ADMIN_MODELS.items():
        if key in view_name:
            return side[kind].pk
    if "accounts_community" in view_name:
        return side.community.pk
    return 999_999  # a model this world does not fill: the admin says it does not exist


PARAMS: dict[str, Value] = {
    "format": lambda w, s: "json",
    "mission_id": lambda w, s: s["mission"].pk,
    "photo_id": lambda w, s: s["photo"].pk,
    "size": lambda w, s: "full",
    "job_id": lambda w, s: s["import_job"].pk,
    "layer": lambda w, s: "interventions",
    "z": lambda w, s: w.tile()[0],
    "x": lambda w, s: w.tile()[1],
    "y": lambda w, s: w.tile()[2],
    "table": lambda w, s: "districts",
    "token": lambda w, s: s.share_token,
    "collection_id": lambda w, s: "interventions",
    "feature_id": lambda w, s: s["intervention"].pk,
    "code": lambda w, s: s["category"].code,
    "request_id": lambda w, s: s["report"].pk,
    "path": lambda w, s: "nothing-here",
    "uidb64": lambda w, s: "MQ",
    "app_label": lambda w, s: "interventions",
    "url": lambda w, s: "nothing-here/",
    "content_type_id": lambda w, s: 1,
    "id": lambda w, s: w.users[Role.VIEWER].pk,
    "user_id": lambda w, s: s["member"].pk,
    "token_id": lambda w, s: s["api_token"].pk,
    "provider_id": lambda w, s: 999_999,  # public pages; tests/accounts/test_oidc.py signs in for real
}
PARAMS_BY_VIEW: dict[tuple[str, str], Value] = {
    ("agent:api-intervention", "client_uuid"): lambda w, s: s["intervention"].client_uuid,
    ("agent:api-report", "client_uuid"): lambda w, s: s["report"].client_uuid,
    ("agent:api-photo", "client_uuid"): lambda w, s: s["photo"].client_uuid,
    ("agent:icon", "size"): lambda w, s: 192,
    ("api-root", "format"): lambda w, s: ".json",
    ("dashboards:export", "fmt"): lambda w, s: "csv",
    ("dashboards:public-export", "fmt"): lambda w, s: "csv",
    ("open311:token", "token"): lambda w, s: s["open311"].token,
    ("password_reset_confirm", "token"): lambda w, s: "set-password",
}


def param_value(world: World, side: Side, view_name: str, name: str) -> str:
    if (view_name, name) in PARAMS_BY_VIEW:
        return str(PARAMS_BY_VIEW[(view_name, name)](world, side))
    if name == "fmt":
        return "json"
    if name == "pk":
        return str(_pk(view_name, side))
    if name == "object_id":
        return str(_admin_object(view_name, side))
    if name in PARAMS:
        return str(PARAMS[name](world, side))
    raise LookupError(f"no value for parameter '{name}' of {view_name}: add it to PARAMS")


# --- Walking the URLconf --------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    view_name: str
    route: str  # the concatenated route/regex strings

    @property
    def params(self) -> list[str]:
        return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", self.route)]


def _view_name(pattern: URLPattern, namespaces: list[str]) -> str:
    name = pattern.name
    if name is None:
        callback = pattern.callback
        view_class = getattr(callback, "view_class", None)
        target = view_class or callback
        name = f"{target.__module__}.{target.__qualname__}"
    return ":".join([*namespaces, name])


def walk(
    resolver: URLResolver | None = None, prefix: str = "", namespaces: list[str] | None = None
) -> Iterator[Pattern]:
    resolver = resolver or get_resolver()
    namespaces = namespaces or []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry, route, [*namespaces, entry.namespace] if entry.namespace else namespaces)
        else:
            yield Pattern(view_name=_view_name(entry, namespaces), route=route)


def build_path(pattern: Pattern, world: World, side: Side) -> str:
    def value(name: str) -> str:
        return param_value(world, side, pattern.view_name, name)

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), pattern.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)
    path = path.replace("^", "").replace("$", "").replace("/?", "").replace("\\.", ".")
    return "/" + path


# --- Requests and verdicts ------------------------------------------------------------------
def client_for(world: World, principal: str) -> tuple[Client, dict[str, str]]:
    client = Client(REMOTE_ADDR="10.9.8.7", raise_request_exception=False)
    extra: dict[str, str] = {}
    if principal in (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER):
        client.force_login(world.users[principal])
    elif principal == PARTNER:
        extra["api_key"] = world.own.partner_key
    return client, extra


def body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def send(client: Client, method: str, path: str, query: dict[str, str]) -> Any:
    if method in SAFE_METHODS:
        return client.generic(method, path, QUERY_STRING="&".join(f"{k}={v}" for k, v in query.items()))
    # A body no view can use (malformed JSON): allowed callers get a 400, nothing is written.
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.generic(method, path + (f"?{qs}" if qs else ""), "{", content_type="application/json")


def refused(response: Any) -> bool:
    if response.status_code in DENIED:
        return True
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    return "/login/" in location


def principal_allowed(roles: frozenset[str], principal: str) -> bool:
    if ANONYMOUS in roles:
        return True
    return principal in roles  # a partner key is no role: only what anonymous may do


def patterns_to_check() -> list[Pattern]:
    return list(walk())


def test_every_url_has_a_rule():
    missing = sorted({p.view_name for p in patterns_to_check() if rule_for(p.view_name) is None})
    assert not missing, "\n".join(
        f"no rule for {name} (declare it in accounts/access.py)" for name in missing
    )


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_permission_matrix(principal, settings):
    settings.RONDE_ACCESS_STRICT = True
    world = build_world()
    client, extra = client_for(world, principal)
    # API tokens are the caller's own: the principal's (a viewer's for callers without a user).
    owner = world.users.get(principal, world.users[Role.VIEWER])
    world.own.objects["api_token"] = api_token_create(user=owner)[0]
    stranger = User.objects.filter(memberships__community=world.other.community).first()
    stranger = stranger or member(world.other.community, Role.VIEWER)
    world.other.objects["api_token"] = api_token_create(user=stranger)[0]
    failures: list[str] = []
    checked = 0
    deletes: list[tuple[Pattern, str]] = []
    for pattern in patterns_to_check():
        rule = rule_for(pattern.view_name)
        if rule is None:
            continue  # test_every_url_has_a_rule names it
        try:
            own_path = build_path(pattern, world, world.own)
            other_path = build_path(pattern, world, world.other) if pattern.params else None
            if other_path == own_path:
                other_path = None  # only a format or a fixed name: nothing of another community
        except LookupError as exc:
            failures.append(str(exc))
            continue
        try:
            resolve(own_path.split("?")[0])
        except Resolver404:
            failures.append(f"{pattern.view_name}: built {own_path}, which does not resolve")
            continue
        methods = ["GET", *[m for m in WRITE_METHODS if rule.roles_for(m)]]
        if "(?P<format>" in pattern.route:
            methods = ["GET"]  # the same view as without the suffix: writes checked there
        if not rule.delegated and not rule.roles_for("DELETE"):
            methods.append("DELETE")  # a method nobody may use must be refused
        admin = rule.delegated
        for method in methods:
            if method == "DELETE" and rule.roles_for("DELETE"):
                deletes.append((pattern, own_path))  # deletes run last: they remove the objects
                continue
            if admin and method != "GET":
                continue
            checked += 1
            failures += check(client, extra, world, principal, rule, pattern, method, own_path, other_path)
    for pattern, own_path in deletes:
        rule = rule_for(pattern.view_name)
        assert rule is not None
        checked += 1
        failures += check(client, extra, world, principal, rule, pattern, "DELETE", own_path, None)
    assert checked > 100
    assert not failures, f"{len(failures)} problem(s) for {principal}:\n" + "\n".join(failures)


def check(
    client: Client,
    extra: dict[str, str],
    world: World,
    principal: str,
    rule: Any,
    pattern: Pattern,
    method: str,
    own_path: str,
    other_path: str | None,
) -> list[str]:
    out: list[str] = []
    where = f"{method} {own_path} [{pattern.view_name}]"
    response = send(client, method, own_path, extra)
    if principal in world.users and pattern.view_name in ("logout", "admin:logout"):
        client.force_login(world.users[principal])  # stay logged in for the next URLs
    status = response.status_code
    text = body_text(response)
    if status >= 500:
        out.append(f"{where}: {status} server error")
    if LEAK in text:
        out.append(f"{where}: the other community's data leaked")
    if rule.delegated:
        out += check_admin(client, principal, pattern, own_path, other_path, response)
        return out
    roles = rule.roles_for(method)
    allowed = principal_allowed(roles, principal)
    public = ANONYMOUS in roles
    if allowed and not public and refused(response):
        out.append(f"{where}: {principal} is allowed by the rule but got {status}")
    if not allowed and not refused(response):
        out.append(f"{where}: {principal} is not allowed by the rule but got {status}")
    if method != "GET":
        return out
    # Another community: its objects by id, or the community named explicitly.
    if other_path and not (set(pattern.params) & CAPABILITIES):
        other = send(client, "GET", other_path, extra)
        readable = other.status_code < 300 or (other.status_code < 400 and not refused(other))
        # A public view (Open311, OGC) may answer 200 as long as nothing of the other community shows.
        if readable and not (public and LEAK not in body_text(other)):
            out.append(
                f"GET {other_path} [{pattern.view_name}]: another community's object gave {other.status_code}"
            )
        if LEAK in body_text(other):
            out.append(f"GET {other_path} [{pattern.view_name}]: the other community's data leaked")
    if principal not in (ANONYMOUS, PARTNER) and not public:
        named = send(client, "GET", own_path, {**extra, "community": world.other.community.slug})
        if not refused(named) or LEAK in body_text(named):
            out.append(f"GET {own_path}?community=<other> [{pattern.view_name}]: gave {named.status_code}")
    return out


def check_admin(
    client: Client, principal: str, pattern: Pattern, own_path: str, other_path: str | None, response: Any
) -> list[str]:
    """The Django admin: staff only (here the community admin); never another community's rows."""
    out: list[str] = []
    status = response.status_code
    where = f"GET {own_path} [{pattern.view_name}]"
    if principal != Role.ADMIN:
        to_login = status == 302 and "/admin/login/" in response.get("Location", "")
        if not (to_login or status in (403, 404) or pattern.view_name in ("admin:login", "admin:logout")):
            out.append(f"{where}: {principal} (not staff) got {status}")
        return out
    if other_path and other_path != own_path and "object_id" in pattern.params:
        other = client.get(other_path)
        if other.status_code == 200 and any(k in pattern.view_name for k in ADMIN_MODELS):
            out.append(f"GET {other_path} [{pattern.view_name}]: another community's row gave 200")
        if LEAK in body_text(other):
            out.append(f"GET {other_path} [{pattern.view_name}]: the other community's data leaked")
    return out


# What a write form of the administration would carry: enough to change something if the
# view let it through.
ADMINISTRATION_POST = {
    "confirm": "yes",
    "active": "0",
    "name": "Renamed",
    "kind": "district",
    "code": "renamed",
    "service_minutes": "5",
    "role": Role.VIEWER,
    "hourly_cost": "1",
    "rate_limit": "1",
    "minlon": "0.1",
    "minlat": "46.1",
    "maxlon": "0.2",
    "maxlat": "46.2",
}


def test_another_communitys_administrator_reaches_nothing_of_this_one():
    """Every administration URL, with this community's ids, for the OTHER community's admin:
    404 for reads and writes alike, and nothing of this community changed."""
    from accounts.models import Membership
    from audit.models import AuditEvent
    from tests.factories import member

    world = build_world()
    intruder = member(world.other.community, Role.ADMIN, username="other-admin")
    client = Client(raise_request_exception=False)
    client.force_login(intruder)
    before = AuditEvent.objects.filter(community=world.own.community).count()
    checked = 0
    for pattern in patterns_to_check():
        if not pattern.view_name.startswith("administration:") or not pattern.params:
            continue
        path = build_path(pattern, world, world.own)
        rule = rule_for(pattern.view_name)
        assert rule is not None
        for method in ("GET", "POST") if rule.read else ("POST",):
            response = (
                client.generic(method, path) if method == "GET" else client.post(path, ADMINISTRATION_POST)
            )
            checked += 1
            assert response.status_code == 404, f"{method} {path}: {response.status_code}"
    assert checked >= 19  # every administration URL with an id
    own = world.own
    own["team"].refresh_from_db()
    own["partner"].refresh_from_db()
    own["member"].refresh_from_db()
    assert own["team"].name != "Renamed" and own["partner"].active and own["member"].is_active
    assert Membership.objects.get(user=own["member"], community=own.community).role == Role.AGENT
    assert own["zone"].__class__.objects.filter(pk=own["zone"].pk, name=own["zone"].name).exists()
    assert own["category"].__class__.objects.filter(pk=own["category"].pk).exists()
    # The pages without ids show the intruder's own community, never this one's.
    for name in ("users", "teams", "categories", "partners", "zones", "territory", "audit"):
        text = body_text(
            client.get(f"/administration/{name}/" if name != "zones" else "/administration/districts/")
        )
        assert "worker-poitiers-sec" not in text and "Brigade <" not in text
    assert AuditEvent.objects.filter(community=own.community).count() == before
