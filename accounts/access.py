"""The permission matrix: who may call which URL, in one declarative table (docs/permissions.md).

Every URL pattern of the URLconf has a rule here, looked up by its view name (the namespaced
URL name, e.g. "agent:api-mission"; an unnamed pattern by its view's dotted path). Patterns
ending in "*" cover a whole namespace. AccessMiddleware applies the table to every request
before the view runs; CommunityRole (DRF) reads the same table. The views keep their own
finer checks (an agent sees only their team's missions, an Open311 partner key, a share
token); tests/security/test_permission_matrix.py walks every URL for every role and fails on
a URL without a rule, or on a view that lets in someone the table does not.

Principals: the four community roles (Membership.role), ANONYMOUS (no user: includes Open311
partner apps, whose key the Open311 views check), and for the Django admin, staff users (the
admin scopes them to the communities they administer, core.admin).

Tenancy is not a column here: every rule is about the caller's OWN community. Another
community's rows are never readable: a `?community=<slug>` the caller is not a member of is
a 403 here, and an id from another community is a 404 in the views' scoped querysets.

To declare a new URL: add `"<namespace>:<name>": Rule(...)` below (read = GET/HEAD/OPTIONS,
write = every other method, `methods` for a method that differs), and a line in
docs/permissions.md.
"""

import fnmatch
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from rest_framework.exceptions import AuthenticationFailed

from .authentication import MembershipTokenAuthentication
from .basic import basic_paths_match, challenge
from .models import Membership, Role
from .selectors import NoCommunity, membership_get_for_user
from .twofactor import code_page_url, needs_code

logger = logging.getLogger("ronde.access")

ANONYMOUS = "anonymous"
ADMIN, DISPATCHER, AGENT, VIEWER = (
    Role.ADMIN.value,
    Role.DISPATCHER.value,
    Role.AGENT.value,
    Role.VIEWER.value,
)
MEMBERS = frozenset({ADMIN, DISPATCHER, AGENT, VIEWER})
PLANNERS = frozenset({ADMIN, DISPATCHER})
FIELD = frozenset({ADMIN, DISPATCHER, AGENT})
MANAGERS = frozenset({ADMIN, DISPATCHER, VIEWER})  # dashboards: not the field agents
ADMINS = frozenset({ADMIN})
EVERYONE = MEMBERS | {ANONYMOUS}
NOBODY: frozenset[str] = frozenset()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COMMUNITY_HEADER = "HTTP_X_RONDE_COMMUNITY"
# Pages a member who still owes a second-factor code may reach (the code page, leaving).
NO_CODE_NEEDED = frozenset({"two-factor", "logout", "password_change", "password_change_done"})


@dataclass(frozen=True)
class Rule:
    read: frozenset[str] = NOBODY  # GET, HEAD, OPTIONS
    write: frozenset[str] = NOBODY  # POST, PUT, PATCH, DELETE (unless in `methods`)
    methods: Mapping[str, frozenset[str]] = field(default_factory=dict)  # e.g. {"POST": FIELD}
    # An HTML page: anonymous callers are sent to the login page instead of a 401.
    page: bool = False
    # The view decides alone (the Django admin: is_staff + model permissions + community scope).
    delegated: bool = False
    note: str = ""  # what the view checks beyond the role (shown in docs/permissions.md)

    def roles_for(self, method: str) -> frozenset[str]:
        method = method.upper()
        if method in self.methods:
            return self.methods[method]
        return self.read if method in SAFE_METHODS else self.write


def api(
    read: Iterable[str] = MEMBERS,
    create: Iterable[str] = NOBODY,
    update: Iterable[str] = NOBODY,
    delete: Iterable[str] = NOBODY,
    note: str = "",
) -> Rule:
    """A REST endpoint (list or detail URL): POST creates, PUT/PATCH update, DELETE deletes."""
    return Rule(
        read=frozenset(read),
        methods={
            "POST": frozenset(create),
            "PUT": frozenset(update),
            "PATCH": frozenset(update),
            "DELETE": frozenset(delete),
        },
        note=note,
    )


def page(read: Iterable[str], post: Iterable[str] = NOBODY, note: str = "") -> Rule:
    """An HTML page: GET shows it, POST submits its form; no other method."""
    return Rule(read=frozenset(read), methods={"POST": frozenset(post)}, page=True, note=note)


PUBLIC = Rule(read=EVERYONE, methods={"POST": EVERYONE}, note="public")
PUBLIC_READ = Rule(read=EVERYONE, note="public, read-only")
ADMIN_SITE = Rule(
    delegated=True, page=True, note="Django admin: staff; scoped to the communities they administer"
)

# fmt: off
RULES: dict[str, Rule] = {
    # --- Pages and account ---
    "home": page(MEMBERS),
    "health": PUBLIC_READ,
    "accessibility": Rule(read=EVERYONE, page=True, note="public: the accessibility statement (RGAA)"),
    "login": page(EVERYONE, EVERYONE, note="public; throttled (django-axes)"),
    "logout": page(EVERYONE, EVERYONE, note="public"),
    "oidc-login": Rule(read=EVERYONE, page=True, note="public; to the community's OpenID Connect provider"),
    "oidc-callback": Rule(read=EVERYONE, page=True, note="public; the view checks state, PKCE, the ID token and "
                          "matches the email to a member of the provider's community"),
    "two-factor": page(MEMBERS, MEMBERS, note="the caller's own authenticator (TOTP)"),
    "password_change": page(MEMBERS, MEMBERS),
    "password_change_done": page(MEMBERS),
    "password_reset": page(EVERYONE, EVERYONE, note="public"),
    "password_reset_done": Rule(read=EVERYONE, page=True, note="public"),
    "password_reset_confirm": page(EVERYONE, EVERYONE, note="public; the view checks the signed token"),
    "password_reset_complete": Rule(read=EVERYONE, page=True, note="public"),
    "set_language": PUBLIC,
    "csp-report": Rule(methods={"POST": EVERYONE}, note="public; browsers post CSP violations"),
    "map": page(MEMBERS),
    "map-feature": page(MEMBERS, note="a feature of the caller's community; agents: their teams' missions"),
    "map-list": page(MEMBERS, note="features of the caller's community in a box; agents: their teams' missions"),
    "admin:*": ADMIN_SITE,
    # --- REST API /api/v1/ ---
    "api-root": api(),
    "api-token": Rule(methods={"POST": EVERYONE}, note="public; throttled (django-axes); a new token each time"),
    "api-tokens": Rule(read=MEMBERS, note="the caller's own tokens only"),
    "api-token-detail": Rule(methods={"DELETE": MEMBERS}, note="revokes one of the caller's own tokens (404 otherwise)"),
    "schema": PUBLIC_READ,
    "api-docs": PUBLIC_READ,
    "api-reference": Rule(read=EVERYONE, page=True, note="public, read-only: the API reference as an accessible page"),
    "asset-list": api(create=ADMINS),
    "asset-detail": api(update=ADMINS, delete=ADMINS),
    "asset-category-list": api(),
    "asset-category-detail": api(),
    "address-search": Rule(read=MEMBERS, note="addresses and streets of the caller's community"),
    "zone-list": api(create=ADMINS),
    "zone-detail": api(update=ADMINS, delete=ADMINS),
    "category-list": api(),
    "category-detail": api(),
    "team-list": api(create=PLANNERS),
    "team-detail": api(update=PLANNERS, delete=PLANNERS),
    "report-list": api(create=FIELD),
    "report-detail": api(update=PLANNERS, delete=PLANNERS),
    "report-history": api(),
    "intervention-list": api(create=PLANNERS),
    "intervention-detail": api(update=FIELD, delete=PLANNERS,
                               note="agents change only the outcome and tag fields"),
    "intervention-history": api(),
    "mission-list": api(create=PLANNERS, note="agents read only their teams' missions"),
    "mission-detail": Rule(read=MEMBERS, methods={"PATCH": PLANNERS, "DELETE": PLANNERS},
                           note="agents read only their teams' missions; PATCH only"),
    "mission-optimize": api(read=NOBODY, create=PLANNERS, note="queues the optimisation: 202, or 409 while one runs"),
    "mission-optimization": api(read=PLANNERS, note="the latest background optimisation of a mission of the caller's community"),
    "mission-stops": api(read=NOBODY, create=PLANNERS),
    "mission-history": api(note="agents read only their teams' missions"),
    # --- Photos (permission-checked, never a public media URL) ---
    "photo": Rule(read=EVERYONE, note="members who may read the intervention or report, "
                  "or anyone with an unexpired signed link; else 401/403/404 from the view"),
    # --- Field app /agent/ ---
    "agent:app": page(FIELD, note="viewers have no field work: their menu does not offer it"),
    "agent:sw": PUBLIC_READ,
    "agent:manifest": PUBLIC_READ,
    "agent:icon": PUBLIC_READ,
    "agent:api-missions": Rule(read=FIELD, note="the caller's teams' missions"),
    "agent:api-mission": Rule(read=FIELD, note="the caller's teams' missions"),
    "agent:api-intervention": Rule(methods={"PUT": FIELD}, note="work of the caller's missions"),
    "agent:api-report": Rule(methods={"PUT": FIELD}),
    "agent:api-photo": Rule(methods={"PUT": FIELD, "POST": FIELD},
                            note="photos of the caller's work: the photo as the body (`Content-Type: image/jpeg`, "
                            "fields in the query string) or a multipart form; POST for clients that only send "
                            "multipart by POST"),
    # --- Dispatch /dispatch/ ---
    "dispatch:board": page(PLANNERS),
    "dispatch:sheet": page(MEMBERS, note="agents: their teams' missions"),
    "dispatch:sheet-pdf": page(MEMBERS, note="agents: their teams' missions"),
    "dispatch:api-board": Rule(read=PLANNERS),
    "dispatch:api-preview": Rule(methods={"POST": PLANNERS}),
    "dispatch:api-fit-estimate": Rule(methods={"POST": PLANNERS}, note="read-only: how many of a zone's jobs fit"),
    "dispatch:api-progress": Rule(read=MEMBERS, note="agents: their teams' missions"),
    "dispatch:api-bulk": Rule(methods={"POST": PLANNERS}),
    "dispatch:api-templates": Rule(read=PLANNERS, methods={"POST": PLANNERS}),
    "dispatch:api-template": Rule(read=PLANNERS, methods={"PATCH": PLANNERS, "DELETE": PLANNERS},
                                  note="recurring missions of the caller's community"),
    "dispatch:templates": page(PLANNERS),
    "dispatch:template-new": page(PLANNERS, PLANNERS),
    "dispatch:template-edit": page(PLANNERS, PLANNERS, note="recurring missions of the caller's community"),
    "dispatch:template-active": page(NOBODY, PLANNERS, note="recurring missions of the caller's community"),
    "dispatch:template-delete": page(PLANNERS, PLANNERS, note="recurring missions of the caller's community"),
    # --- Dashboards /dashboards/ ---
    "dashboards:index": page(MANAGERS),
    "dashboards:report": page(MANAGERS),
    "dashboards:export": page(MANAGERS),
    "dashboards:share": Rule(methods={"POST": ADMINS}, page=True),
    "dashboards:public": Rule(read=EVERYONE, page=True, note="public with a valid share token"),
    "dashboards:public-report": Rule(read=EVERYONE, page=True, note="public with a valid share token"),
    "dashboards:public-export": Rule(read=EVERYONE, note="public with a valid share token"),
    # --- Tiles /tiles/ ---
    "tiles:tile": Rule(read=MEMBERS),
    "tiles:tilejson": Rule(read=MEMBERS),
    "tiles:style": Rule(read=MEMBERS),
    "tiles:heatmap": Rule(read=EVERYONE, note="members, or anyone with a dashboard share token"),
    "tiles:heatmap-legend": Rule(read=EVERYONE, note="members, or anyone with a dashboard share token"),
    "tiles:heatmap-geotiff": Rule(read=EVERYONE, note="members, or anyone with a dashboard share token"),
    # --- Geodata imports and exports /geo/ ---
    "geodata:imports": page(ADMINS, ADMINS),
    "geodata:import-preview": page(ADMINS, ADMINS),
    "geodata:import-job": page(ADMINS),
    "geodata:import-status": Rule(read=ADMINS),
    "geodata:import-report-csv": Rule(read=ADMINS),
    # Full-layer exports are for the office (README): an agent's field app reads its own
    # team's work through the agent API, never the whole community's layers.
    "geodata:exports": page(MANAGERS),
    "geodata:export-download": Rule(read=MANAGERS),
    # --- Community administration /administration/ (the community's administrators only) ---
    "administration:index": page(ADMINS),
    "administration:users": page(ADMINS),
    "administration:user-new": page(ADMINS, ADMINS),
    "administration:user-edit": page(ADMINS, ADMINS, note="members of the caller's community"),
    "administration:user-active": page(NOBODY, ADMINS, note="members of the caller's community; never the last administrator"),
    "administration:user-password": page(NOBODY, ADMINS, note="members of the caller's community"),
    "administration:teams": page(ADMINS),
    "administration:team-new": page(ADMINS, ADMINS),
    "administration:team-edit": page(ADMINS, ADMINS, note="teams of the caller's community"),
    "administration:categories": page(ADMINS),
    "administration:category-new": page(ADMINS, ADMINS),
    "administration:category-edit": page(ADMINS, ADMINS, note="categories of the caller's community"),
    "administration:category-delete": page(ADMINS, ADMINS, note="only an unused category"),
    "administration:asset-category-new": page(ADMINS, ADMINS),
    "administration:asset-category-edit": page(ADMINS, ADMINS, note="categories of the caller's community"),
    "administration:asset-category-delete": page(ADMINS, ADMINS, note="only an unused category"),
    "administration:partners": page(ADMINS, ADMINS, note="a new key is shown once"),
    "administration:partner-revoke": page(NOBODY, ADMINS, note="keys of the caller's community"),
    "administration:zones": page(ADMINS),
    "administration:zone-edit": page(ADMINS, ADMINS, note="districts of the caller's community"),
    "administration:zone-delete": page(ADMINS, ADMINS, note="districts of the caller's community"),
    "administration:territory": page(ADMINS, ADMINS),
    "administration:audit": page(ADMINS, note="the caller's community's trail"),
    "administration:security": page(NOBODY, ADMINS, note="second factor for administrators and dispatchers"),
    # --- Interoperability ---
    "open311:discovery": PUBLIC_READ,
    "open311:services": Rule(read=EVERYONE, note="public (GeoReport v2)"),
    "open311:service": Rule(read=EVERYONE, note="public (GeoReport v2)"),
    "open311:requests": Rule(read=EVERYONE, methods={"POST": EVERYONE},
                             note="POST needs a partner api_key; GET open unless the community closes requests"),
    "open311:request": Rule(read=EVERYONE, note="open unless the community closes requests (then a partner api_key)"),
    "open311:token": Rule(read=EVERYONE, note="public (GeoReport v2: no api_key); the random token is "
                          "the secret, and the answer is only the request id"),
    "open311:interventions.open311.views.not_found": Rule(read=EVERYONE, methods={"POST": EVERYONE},
                                                          note="404 in the Open311 format"),
    "ogc:*": Rule(read=EVERYONE, note="members see their community; anyone else only what a community publishes"),
    "wfs": Rule(read=EVERYONE, methods={"POST": EVERYONE},
                note="WFS 2.0, read-only (POST carries XML queries); the collections of ogc:*"),
}
# fmt: on


def rule_for(view_name: str) -> Rule | None:
    """The rule of a resolved view name; exact names first, then namespace patterns."""
    found = RULES.get(view_name)
    if found is not None:
        return found
    for pattern, rule in RULES.items():
        if pattern.endswith("*") and fnmatch.fnmatchcase(view_name, pattern):
            return rule
    return None


def roles_allowed(view_name: str, method: str) -> frozenset[str] | None:
    rule = rule_for(view_name)
    return rule.roles_for(method) if rule is not None else None


@dataclass(frozen=True)
class Principal:
    """Who is calling: ANONYMOUS, a role in the requested community, or None (no member)."""

    role: str | None
    user: Any = None
    membership: Membership | None = None


def request_principal(request: HttpRequest) -> Principal:
    """The caller, resolved once per request (middleware, DRF and the tile views share it).

    A session user, else an API token (MembershipTokenAuthentication: one query for token,
    user and membership; raises AuthenticationFailed on a bad token), else ANONYMOUS.
    """
    cached = getattr(request, "_ronde_principal", None)
    if cached is not None:
        return cached
    principal = _resolve_principal(request)
    request._ronde_principal = principal  # type: ignore[attr-defined]
    if principal.membership is not None:
        request._ronde_membership = principal.membership  # type: ignore[attr-defined]
    return principal


def _resolve_principal(request: HttpRequest) -> Principal:
    slug = request.GET.get("community") or request.META.get(COMMUNITY_HEADER)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        try:
            membership = membership_get_for_user(user=user, community_slug=slug)
        except NoCommunity:
            return Principal(None, user)
        return Principal(membership.role, user, membership)
    if not request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
        return Principal(ANONYMOUS)
    auth = MembershipTokenAuthentication(community_slug=slug)
    found = auth.authenticate(request)  # raises on a bad token
    if found is None:
        return Principal(ANONYMOUS)
    if auth.membership is not None:
        return Principal(auth.membership.role, found[0], auth.membership)
    try:  # a non-member, or DRF authenticated this request first
        membership = membership_get_for_user(user=found[0], community_slug=slug)
    except NoCommunity:
        return Principal(None, found[0])
    return Principal(membership.role, found[0], membership)


def user_membership(request: HttpRequest | Any) -> Membership:
    """The signed-in caller's membership in the requested community (?community=<slug> or the
    X-Ronde-Community header, else their first one), resolved once per request: the one the
    middleware resolved when it did (pages, their menu, their views and the API then share one
    statement), else looked up and kept on the request. Raises NoCommunity without a signed-in
    user or a membership. Pages, DRF views (a DRF Request) and the administration call it:
    accounts/permissions.py `request_membership`, administration/common.py `admin_membership`
    only say the refusal their way."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        raise NoCommunity("not authenticated")
    slug = request.GET.get("community") or request.META.get(COMMUNITY_HEADER)
    principal = getattr(request, "_ronde_principal", None)
    if principal is not None and principal.user is user:
        if principal.membership is None:
            raise NoCommunity(slug or "")
        return principal.membership
    kept = getattr(request, "_ronde_membership", None)
    if kept is not None and kept.user_id == user.pk:
        return kept
    # Signed in during this request, or the middleware did not look (a public URL).
    membership = membership_get_for_user(user=user, community_slug=slug)
    request._ronde_membership = membership  # type: ignore[union-attr]
    return membership


def principal_for(request: HttpRequest) -> tuple[str | None, Any]:
    """(role in the requested community, user); (ANONYMOUS, None) without a user.

    The role is None for a user who is no member of the requested community (or of any).
    """
    principal = request_principal(request)
    return principal.role, principal.user


def _deny(request: HttpRequest, rule: Rule, status: int, detail: str) -> HttpResponse:
    if status == 401 and rule.page:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if rule.page and request.method in SAFE_METHODS:  # a person at a browser: a page, not JSON
        return render(request, "403.html", {"detail": detail}, status=status)
    response = JsonResponse({"detail": detail}, status=status)
    if status == 401 and basic_paths_match(request.path_info):
        challenge(response)  # GIS clients answer a Basic challenge with their credentials
    return response


class AccessMiddleware:
    """Applies RULES to every request before its view (after authentication and sessions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        rule = rule_for(view_name)
        if rule is None:
            # Undeclared URLs: refused in production; allowed with a warning while developing
            # (tests/security/test_permission_matrix.py fails on them anyway).
            if getattr(settings, "RONDE_ACCESS_STRICT", True):
                return JsonResponse({"detail": f"No access rule for '{view_name}'."}, status=403)
            logger.warning("No access rule for %s (declare it in accounts/access.py)", view_name)
            return None
        if rule.delegated:
            return None
        allowed = rule.roles_for(request.method or "GET")
        if not allowed:
            return JsonResponse({"detail": f"Method {request.method} not allowed."}, status=405)
        if ANONYMOUS in allowed:
            return None  # public: the view does any finer check (keys, tokens)
        try:
            role, user = principal_for(request)
        except AuthenticationFailed as exc:
            return _deny(request, rule, 401, str(exc.detail))
        if user is None:
            return _deny(request, rule, 401, "Authentication credentials were not provided.")
        if role is None:
            return _deny(request, rule, 403, "You are not a member of this community.")
        if role not in allowed:
            return _deny(request, rule, 403, f"The role '{role}' may not do this.")
        if view_name not in NO_CODE_NEEDED and needs_code(request, request_principal(request).membership):
            # The community asks this role for a second factor (accounts/twofactor.py).
            if rule.page and request.method in SAFE_METHODS:
                return HttpResponseRedirect(code_page_url(request))
            return JsonResponse({"detail": "A second factor is required: /accounts/two-factor/"}, status=403)
        return None


def matrix_markdown() -> str:
    """The table of docs/permissions.md, from RULES (R read, C POST, U PUT/PATCH, D DELETE)."""
    principals = [ADMIN, DISPATCHER, AGENT, VIEWER, ANONYMOUS]
    letters = {"POST": "C", "PUT": "U", "PATCH": "U", "DELETE": "D"}

    def cell(rule: Rule, who: str) -> str:
        if rule.delegated:
            return "staff" if who == ADMIN else "–"
        out = ["R"] if who in rule.read else []
        out += [letter for method, letter in letters.items() if who in rule.roles_for(method)]
        return "".join(dict.fromkeys(out)) or "–"

    lines = [
        "| URL name | admin | dispatcher | agent | viewer | anonymous / partner key | what the view checks besides |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rule in RULES.items():
        lines.append(f"| `{name}` | " + " | ".join(cell(rule, p) for p in principals) + f" | {rule.note} |")
    return "\n".join(lines)
