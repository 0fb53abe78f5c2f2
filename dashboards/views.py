"""Thin views of the officials' dashboards: resolve who and which community, parse the
filters, call the selectors, render. Public share links reuse the same pages read-only."""

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from PIL import ImageFile

from accounts.access import user_membership
from accounts.models import Community, Role, Team
from accounts.selectors import NoCommunity
from accounts.sharing import share_community, share_links_revoke, share_token_make
from core.palette import MARKS, district_patterns_svg
from core.params import ParamError
from core.per_thread import per_process
from core.spreadsheet import BadExcelOption, excel_fr_requested
from geo.models import Zone, ZoneKind
from interventions.models import Category
from tiles.heatmap.filters import HeatmapFilters
from tiles.heatmap.render import legend

from .charts import trend_svg
from .compare import figure_rows
from .exports import TABLES, export_title, hotspots_gpkg, table_csv
from .filters import COMPARE_PARAMS, Compared, Filters, compare_from_query, filters_from_query
from .maps import MapParts, dashboard_map, district_classes, maps_kept
from .models import RecurrenceState
from .selectors import dashboard_figures
from .services.freshness import recurrence_ensure_fresh
from .services.recurrence import figures_precomputed

READ_ROLES = (Role.ADMIN, Role.DISPATCHER, Role.VIEWER)
SHARE_ROLES = (Role.ADMIN,)
SHARED_PARAMS = ("period", "date_from", "date_to", "category", "zone", *COMPARE_PARAMS)
# The figures only change when the facts are rebuilt (the cache key holds their stamp, when
# they were built and the day); this bounds how long the shared cache keeps them (seconds).
FIGURES_CACHE_S = 600
FIGURES_KEPT = 64  # figure sets (community, facts, day, filters) a worker keeps in memory


@dataclass
class Access:
    community: Community
    public: bool
    role: str | None
    token: str = ""


def _access(request: HttpRequest, token: str | None = None) -> Access:
    if token is not None:
        community = share_community(token)
        if community is None:
            raise Http404("This share link is invalid or has been revoked.")
        return Access(community=community, public=True, role=None, token=token)
    try:
        membership = user_membership(request)
    except NoCommunity as exc:
        raise PermissionDenied("You are not a member of this community.") from exc
    if membership.role not in READ_ROLES:
        raise PermissionDenied(f"The role '{membership.role}' may not read the dashboards.")
    return Access(community=membership.community, public=False, role=membership.role)


def _filters(request: HttpRequest, access: Access) -> Filters:
    return filters_from_query(request.GET, community=access.community, allow_team=not access.public)


@dataclass
class CompareAsked:
    """Period B as asked in the query: parsed, or refused with the error to show next to
    its field (the page then shows period A alone, status 400)."""

    compared: Compared | None
    error: ParamError | None
    raw: dict[str, str]


def _compare(request: HttpRequest, filters: Filters) -> CompareAsked:
    raw = {name: request.GET.get(name, "") for name in COMPARE_PARAMS}
    try:
        return CompareAsked(compare_from_query(request.GET, filters=filters), None, raw)
    except ParamError as exc:
        return CompareAsked(None, exc, raw)


def _bad_filter(request: HttpRequest, exc: ParamError) -> HttpResponse:
    return render(request, "dashboards/bad_filter.html", {"error": exc}, status=400)


# The filter form's fields: a bad value of one is said next to it.
FORM_FIELDS = ("period", "date_from", "date_to", "category", "zone", "team")


def _form(filters: Filters | None, query: QueryDict) -> dict:
    """The filter form's values: the filters in force, or what was asked when it was refused
    (the person corrects their own entry rather than typing it again)."""
    if filters is not None:
        return {
            "period": filters.period,
            "date_from": filters.date_from.isoformat(),
            "date_to": (filters.date_to - dt.timedelta(days=1)).isoformat(),
            "categories": list(filters.categories),
            "zone": filters.zone,
            "team": filters.team,
        }

    def number(name: str) -> int | None:
        raw = query.get(name) or ""
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None

    return {
        "period": query.get("period") or "month",
        "date_from": query.get("date_from") or "",
        "date_to": query.get("date_to") or "",
        "categories": [c for c in (number("category"),) if c is not None],
        "zone": number("zone"),
        "team": number("team"),
    }


def _refused_filters(request: HttpRequest, access: Access, exc: ParamError) -> HttpResponse:
    """The dashboard's filter form again, the error next to the field at fault (RGAA 11.10):
    no figures, since there is no period to compute them for."""
    community = access.community
    context = {
        "community": community,
        "public": access.public,
        "param_error": exc,
        # A field the page does not show (the team on a public link): said above the form.
        "error_at_field": exc.field in FORM_FIELDS and not (access.public and exc.field == "team"),
        "form": _form(None, request.GET),
        "compare_raw": {name: request.GET.get(name, "") for name in COMPARE_PARAMS},
        "shade": "volume" if request.GET.get("shade") == "volume" else "rate",
        "base_url": reverse("dashboards:public", args=[access.token])
        if access.public
        else reverse("dashboards:index"),
        # Their names for the filter: a district's outline can weigh hundreds of kilobytes.
        "zones": Zone.objects.filter(community=community, kind=ZoneKind.DISTRICT)
        .only("pk", "name")
        .order_by("name"),
        "categories": Category.objects.filter(community=community, is_tag=True).order_by("name"),
        "teams": [] if access.public else Team.objects.filter(community=community).order_by("name"),
    }
    return render(request, "dashboards/index.html", context, status=400)


def _heat_query(filters: Filters, access: Access, *, years_back: int = 0) -> str:
    """The heatmap tiles' query for the page's filters (both periods are [date_from, date_to))."""
    shifted = filters.shifted(years=years_back) if years_back else filters
    query = HeatmapFilters(
        date_from=shifted.date_from,
        date_to=shifted.date_to,
        categories=filters.categories,
        zone=filters.zone,
        team=filters.team,
    ).query()
    if access.public:
        query["share"] = access.token
    elif access.community:
        query["community"] = access.community.slug
    return urlencode(query)


def _figures(community: Community, filters: Filters, state: RecurrenceState) -> dict:
    """Every figure of the page, kept per worker and in the shared cache until the facts are
    rebuilt (same stamp); on a miss of both, the set the background rebuild precomputed, else
    computed now, from the facts `state` describes (freshness is decided once per page, by the
    caller). "facts" says when the facts were built and whether newer data is being taken in;
    "key" names the figures (the maps drawn from them are kept under it)."""
    facts = {"at": state.refreshed_at, "pending": state.pending}
    key = (
        f"dash:{community.pk}:{state.stamp}:{state.refreshed_at.timestamp()}:{timezone.localdate()}:{filters}"
    )
    key = "dash:" + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()

    def shared() -> dict:
        found = cache.get(key)
        if found is None:
            found = figures_precomputed(state=state, filters=filters)
            if found is None:
                found = dashboard_figures(community=community, filters=filters, state=state)
            cache.set(key, found, FIGURES_CACHE_S)
        return found

    # Kept in the worker too (the page only reads them): no round trip to the shared cache.
    found = per_process("dashboard-figures", key, shared, limit=FIGURES_KEPT)
    return {**found, "facts": facts, "key": key}


def _context(
    request: HttpRequest, access: Access, filters: Filters, asked: CompareAsked, *, with_map: bool = True
) -> dict:
    community = access.community
    # Freshness decided once for the page, both periods read the same facts.
    state = recurrence_ensure_fresh(community=community)
    figures = _figures(community, filters, state)
    compared = asked.compared
    comparison = figures["comparison"]
    districts = figures["districts"]
    spots = figures["spots"]
    histories = figures["histories"]
    months = figures["months"]
    shade = "volume" if request.GET.get("shade") == "volume" else "rate"
    query = {**filters.query(), **(compared.query() if compared else {})}
    base = reverse("dashboards:public", args=[access.token]) if access.public else reverse("dashboards:index")
    context = {
        "community": community,
        "public": access.public,
        "filters": filters,
        "form": _form(filters, request.GET),
        "period_end": filters.date_to - dt.timedelta(days=1),
        "facts": figures["facts"],
        "k": comparison.current,
        "comparison": comparison,
        "districts": districts,
        "spots": spots,
        "streets": figures["streets"],
        "months": months,
        "trend_svg": trend_svg(months),
        "legend": legend(HeatmapFilters(), 14),
        "shade": shade,
        "query": urlencode(query),
        "base_url": base,
        "heat_query": _heat_query(filters, access),
        # Their names for the filter: a district's outline can weigh hundreds of kilobytes.
        "zones": Zone.objects.filter(community=community, kind=ZoneKind.DISTRICT)
        .only("pk", "name")
        .order_by("name"),
        "categories": Category.objects.filter(community=community, is_tag=True).order_by("name"),
        "teams": [] if access.public else Team.objects.filter(community=community).order_by("name"),
        "tables": [(name, export_title(name)) for name in TABLES],
        "can_share": access.role in SHARE_ROLES,
        # What a public link may carry: the period and filters on screen, minus the team.
        "share_fields": [(k, v) for k, v in query.items() if k != "team"],
        "token": access.token,
        "compared": compared,
        "compare_error": asked.error,
        "compare_raw": asked.raw,
    }
    nonce = getattr(request, "csp_nonce", "")
    if with_map:
        context["district_classes"] = district_classes(districts, shade)
        context["district_patterns"] = district_patterns_svg()
        context["district_line"] = MARKS["zone"].colour
    if compared is None:
        if with_map:
            heat_query, compare_query = context["heat_query"], _heat_query(filters, access, years_back=1)

            def one_map(nonce: str) -> list[MapParts]:
                return [
                    dashboard_map(
                        community=community,
                        districts=districts,
                        spots=spots,
                        histories=histories,
                        heat_query=heat_query,
                        compare_query=compare_query,
                        shade=shade,
                        nonce=nonce,
                    )
                ]

            key = (figures["key"], shade, heat_query, compare_query)
            [context["map"]] = maps_kept(community=community, key=key, nonce=nonce, build=one_map)
        return context
    # Two periods side by side: period B's figures (same restrictions), its map on the same
    # scale as period A's, and A − B.
    other = _figures(community, compared.filters, state)
    b = other["comparison"].current
    context["compare_b"] = b
    context["compare_end"] = compared.filters.date_to - dt.timedelta(days=1)
    context["figure_rows"] = figure_rows(comparison.current, b)
    if with_map:
        top = max((d.cleanings for d in [*districts, *other["districts"]]), default=0)
        queries = (context["heat_query"], _heat_query(compared.filters, access))

        def two_maps(nonce: str) -> list[MapParts]:
            maps: list[MapParts] = []
            for these, heat_query in zip((figures, other), queries, strict=True):
                maps.append(
                    dashboard_map(
                        community=community,
                        districts=these["districts"],
                        spots=these["spots"],
                        histories=these["histories"],
                        heat_query=heat_query,
                        compare_query=None,
                        shade=shade,
                        nonce=nonce,
                        volume_top=top,
                        # The second map reuses the first's Leaflet and base map streets.
                        with_assets=not maps,
                        streets_from=maps[0].streets if maps else "",
                    )
                )
            return maps

        pair = (figures["key"], other["key"], shade, *queries)
        context["map"], context["map_b"] = maps_kept(
            community=community, key=pair, nonce=nonce, build=two_maps
        )
        context["district_classes"] = district_classes(districts, shade, top)
    return context


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    try:
        filters = _filters(request, access)
    except ParamError as exc:
        return _refused_filters(request, access, exc)
    return _page(request, access, filters)


def _page(request: HttpRequest, access: Access, filters: Filters) -> HttpResponse:
    asked = _compare(request, filters)
    context = _context(request, access, filters, asked)
    # A refused period B: the page still shows period A, the error next to its field.
    return render(request, "dashboards/index.html", context, status=400 if asked.error else 200)


@require_GET
def public(request: HttpRequest, token: str) -> HttpResponse:
    access = _access(request, token)
    try:
        filters = _filters(request, access)
    except ParamError as exc:
        return _refused_filters(request, access, exc)
    response = _page(request, access, filters)
    response["X-Robots-Tag"] = "noindex"
    return response


def _report(request: HttpRequest, access: Access) -> HttpResponse:
    try:
        filters = _filters(request, access)
    except ParamError as exc:
        return _bad_filter(request, exc)
    asked = _compare(request, filters)
    if asked.error:
        return _bad_filter(request, asked.error)
    context = _context(request, access, filters, asked, with_map=False)
    context["generated"] = timezone.localtime()
    if request.GET.get("format") == "pdf":
        return _report_pdf(request, context, filters)
    return render(request, "dashboards/report.html", context)


def _report_pdf(request: HttpRequest, context: dict, filters: Filters) -> HttpResponse:
    """The report as a PDF for a council meeting: the same figures and tables, rendered by
    WeasyPrint with the CSS inlined and no URL fetched (only data:), so nothing goes out."""
    from weasyprint import HTML  # noqa: PLC0415 — heavy import, only for this view
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    # Importing WeasyPrint turns Pillow's LOAD_TRUNCATED_IMAGES on for the whole process.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    css_path = finders.find("dashboards/dashboards.css")
    css = Path(str(css_path)).read_text(encoding="utf-8") if css_path else ""
    html = render_to_string("dashboards/report_pdf.html", {**context, "inline_css": css}, request=request)
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{context['community'].slug}-{filters.date_from:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="rapport-{name}.pdf"'
    return response


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    return _report(request, _access(request))


@require_GET
def public_report(request: HttpRequest, token: str) -> HttpResponse:
    return _report(request, _access(request, token))


def _export(request: HttpRequest, access: Access, table: str, fmt: str) -> HttpResponse:
    try:
        filters = _filters(request, access)
        excel_fr = excel_fr_requested(request.GET)
    except ParamError as exc:
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=400)
    except BadExcelOption as exc:
        return JsonResponse({"detail": str(exc), "field": "excel"}, status=400)
    gpkg, csv = fmt == "gpkg" and table == "hotspots", fmt == "csv" and table in TABLES
    if not (gpkg or csv):
        raise Http404(f"No export {table}.{fmt}.")
    state = recurrence_ensure_fresh(community=access.community)  # decided once for the export
    stamp = f"{access.community.slug}-{filters.date_from:%Y%m%d}"
    if gpkg:
        response = HttpResponse(
            hotspots_gpkg(community=access.community, filters=filters),
            content_type="application/geopackage+sqlite3",
        )
        response["Content-Disposition"] = f'attachment; filename="hotspots-{stamp}.gpkg"'
        return response
    response = HttpResponse(
        table_csv(community=access.community, filters=filters, table=table, state=state, excel_fr=excel_fr),
        content_type="text/csv; charset=utf-8",
    )
    suffix = "-excel" if excel_fr else ""
    response["Content-Disposition"] = f'attachment; filename="{table}-{stamp}{suffix}.csv"'
    return response


@login_required
@require_GET
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    return _export(request, _access(request), table, fmt)


@require_GET
def public_export(request: HttpRequest, token: str, table: str, fmt: str) -> HttpResponse:
    return _export(request, _access(request, token), table, fmt)


@login_required
@require_POST
def share(request: HttpRequest) -> HttpResponse:
    """Admin: show the community's public link; ?revoke=1 invalidates every earlier link."""
    access = _access(request)
    if access.role not in SHARE_ROLES:
        raise PermissionDenied("Only an administrator publishes dashboards.")
    community = access.community
    if request.POST.get("revoke"):
        community = share_links_revoke(community=community)
    token = share_token_make(community=community)
    # The link opens on exactly the period and filters that were on screen (a team is not
    # public: dropped). Checked like any query, so a forged form is a 400, not a dead link.
    shown = {k: v for k, v in request.POST.items() if k in SHARED_PARAMS and v}
    try:
        filters = filters_from_query(shown, community=community, allow_team=False)
        compared = compare_from_query(shown, filters=filters)
    except ParamError as exc:
        return _bad_filter(request, exc)
    query = {**filters.query(), **(compared.query() if compared else {})}
    path = reverse("dashboards:public", args=[token]) + "?" + urlencode(query)
    url = request.build_absolute_uri(path)
    return render(
        request, "dashboards/share.html", {"share_url": url, "community": community, "filters": filters}
    )
