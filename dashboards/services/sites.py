"""Site attribution: every tag removal belongs to a site (a surface asset) where tags recur.

A site is the surface asset (AssetKind.SURFACE) within settings.RONDE_SITE_RADIUS_M metres
(storage SRID, metres) with the same support; when there is none, a new surface asset is
created on the spot. Reports of tags join an existing site the same way (never create one).
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance
from django.db import connection, transaction
from django.utils.translation import gettext

from accounts.models import Community
from core.sql import run_sql
from dashboards.sqlfiles import sql_file
from geo.models import Asset, AssetCategory, AssetKind
from interventions.models import Intervention, InterventionStatus

# The asset category that holds the sites Ronde creates by itself (one per community).
SITE_CATEGORY_CODE = "tag-site"


def site_category_get_or_create(*, community: Community) -> AssetCategory:
    category, _created = AssetCategory.objects.get_or_create(
        community=community,
        code=SITE_CATEGORY_CODE,
        defaults={"name": gettext("Tag site"), "kind": AssetKind.SURFACE},
    )
    return category


def _radius(radius_m: float | None) -> float:
    return float(settings.RONDE_SITE_RADIUS_M if radius_m is None else radius_m)


def _lock_community_sites(community_id: int) -> None:
    # Two agents finishing on the same wall at once must not create two sites: serialise
    # site creation per community for the rest of the transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ronde.sites'), %s)", [community_id])


def intervention_attribute_site(*, intervention: Intervention, radius_m: float | None = None) -> Asset | None:
    """Put a done tag removal on its site (existing or new); return the site.

    Call it when an intervention is done or imported. Other categories, unfinished work and
    interventions already on a site are left alone (returns their current asset). Takes a
    transaction-level advisory lock per community.
    """
    if not intervention.category.is_tag or intervention.status != InterventionStatus.DONE:
        return intervention.asset
    if intervention.asset_id is not None:
        return intervention.asset
    radius = _radius(radius_m)
    with transaction.atomic():
        _lock_community_sites(intervention.community_id)
        site: Asset | None = (
            Asset.objects.filter(
                community_id=intervention.community_id,
                category__kind=AssetKind.SURFACE,
                support=intervention.support,
                geom__dwithin=(intervention.geom, radius),
            )
            .annotate(distance=Distance("geom", intervention.geom))
            .order_by("distance", "pk")
            .first()
        )
        if site is None:
            site = Asset.objects.create(
                community_id=intervention.community_id,
                category=site_category_get_or_create(community=intervention.community),
                support=intervention.support,
                geom=intervention.geom,
                attributes={"created_by": "site_attribution"},
            )
        intervention.asset = site
        intervention.save(update_fields=["asset", "updated_at"])
    return site


@dataclass(frozen=True)
class AttributionResult:
    joined_existing: int
    sites_created: int
    joined_new: int
    reports_joined: int


def sites_attribute_all(
    *, community: Community | None = None, radius_m: float | None = None
) -> AttributionResult:
    """Backfill: put every done tag removal without a site on one, set-based (1M rows OK).

    1. join the nearest surface asset within the radius with the same support;
    2. cluster what is left (DBSCAN, eps = radius, per support) and create one site per
       cluster at its centroid (clusters wider than 4 × radius are split on a grid so a long
       chain of tags along a street does not become one site);
    3. tag reports without an asset join the nearest site within the radius.
    """
    radius = _radius(radius_m)
    communities = [community] if community else list(Community.objects.all())
    params = {"radius": radius, "community": community.pk if community else None, "split": 4 * radius}
    with transaction.atomic():
        for item in communities:
            site_category_get_or_create(community=item)
            _lock_community_sites(item.pk)
        joined = run_sql(sql_file("attribute_existing.sql"), params)
        created = run_sql(sql_file("attribute_new_sites.sql"), params)
        reports = run_sql(sql_file("attribute_reports.sql"), params)
    return AttributionResult(
        joined_existing=int(joined[0][0]),
        sites_created=int(created[0][0]),
        joined_new=int(created[0][1]),
        reports_joined=int(reports[0][0]),
    )


def sites_after_import(community_id: int) -> str | None:
    """After a bulk import of interventions or reports (geo/io's after-import hook): put the
    imported tag removals and reports on their sites, so history counts in recurrence at once."""
    community = Community.objects.get(pk=community_id)
    result = sites_attribute_all(community=community)
    if not (result.joined_existing or result.joined_new or result.reports_joined):
        return None
    return (
        f"sites: {result.joined_existing} removals joined existing sites, {result.sites_created} sites "
        f"created for {result.joined_new} removals, {result.reports_joined} reports joined sites"
    )
