"""Reads for the Open311 endpoints; every query is scoped to one community (jurisdiction)."""

import uuid
from datetime import datetime, timedelta

from django.contrib.gis.db.models.functions import Transform
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Community
from interventions.models import Category, Intervention, PartnerApiKey, Report
from interventions.models.partners import partner_key_hash

from .formats import Open311Error

# The spec's limits for GET requests: a 90-day window and at most 1,000 rows.
MAX_WINDOW = timedelta(days=90)
MAX_ROWS = 1000


def partner_key_get(*, key: str) -> PartnerApiKey | None:
    """The active key with this value, or None."""
    if not key:
        return None
    return (
        PartnerApiKey.objects.select_related("community")
        .filter(key_hash=partner_key_hash(key), active=True)
        .first()
    )


def community_for_jurisdiction(*, jurisdiction_id: str, partner: PartnerApiKey | None) -> Community:
    """The community a request speaks about.

    jurisdiction_id is the community slug. Without it: the key's community, or the only
    community of a single-community instance.
    """
    if jurisdiction_id:
        community = Community.objects.filter(slug=jurisdiction_id).first()
        if community is None:
            raise Open311Error(404, f"jurisdiction_id: unknown jurisdiction '{jurisdiction_id}'.")
        if partner is not None and partner.community_id != community.pk:
            raise Open311Error(403, "api_key: this key is not valid for this jurisdiction_id.")
        return community
    if partner is not None:
        return partner.community
    communities = list(Community.objects.all()[:2])
    if len(communities) == 1:
        return communities[0]
    raise Open311Error(400, "jurisdiction_id: required (this server hosts several jurisdictions).")


def services_for_community(*, community: Community) -> QuerySet[Category]:
    """The categories citizens and partner apps may report (Open311 services)."""
    return Category.objects.filter(community=community, active=True, public=True).order_by("name")


def service_get(*, community: Community, code: str) -> Category:
    category = services_for_community(community=community).filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code: unknown service '{code}'.")
    return category


def _latest_intervention(field: str) -> Subquery:
    latest = Intervention.objects.filter(report=OuterRef("pk")).order_by("-updated_at", "-pk")
    return Subquery(latest.values(field)[:1])


def requests_visible(*, community: Community) -> QuerySet[Report]:
    """Reports Open311 shows: those in public categories, with what the status needs."""
    return (
        Report.objects.filter(community=community, category__public=True)
        .select_related("category", "community", "open311")
        .prefetch_related("photos")
        .annotate(
            geom_wgs84=Transform("geom", 4326),
            iv_status=_latest_intervention("status"),
            iv_reason=_latest_intervention("not_done_reason"),
            iv_planned=_latest_intervention("planned_date"),
            iv_updated=_latest_intervention("updated_at"),
        )
        .order_by("-reported_at", "-pk")
    )


def requests_search(
    *,
    community: Community,
    ids: list[int] | None = None,
    service_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Report]:
    """GET requests: ids override every other filter, as the spec says; else a ≤ 90-day window."""
    qs = requests_visible(community=community)
    if ids:
        return qs.filter(pk__in=ids)
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date/end_date: the range may not span more than 90 days.")
    if start and not end:
        end = start + MAX_WINDOW
    if end and not start:
        start = end - MAX_WINDOW
    if not start and not end:
        end = timezone.now()
        start = end - MAX_WINDOW
    qs = qs.filter(reported_at__gte=start, reported_at__lte=end)
    if service_codes:
        qs = qs.filter(category__code__in=service_codes)
    return qs


def request_by_token(*, community: Community, token: str) -> Report | None:
    try:
        uuid.UUID(token)
    except ValueError:
        return None
    return requests_visible(community=community).filter(open311__token=token).first()
