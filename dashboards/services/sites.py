"""Site attribution: every tag removal belongs to a site (a surface asset) where tags recur.

A site is the surface asset (AssetKind.SURFACE) within settings.RONDE_SITE_RADIUS_M metres
(storage SRID, metres) with the same support; when there is none, a new surface asset is
created on the spot. Reports of tags join an existing site the same way (never create one).
"""

import hashlib
import math
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
    # The backfill rewrites a whole community's sites: it waits for, and then holds off, every
    # single attribution in that community (they take this lock shared, _lock_site_area).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('ronde.sites'), %s)", [community_id])


def site_area_lock_keys(*, community_id: int, support: str, x: float, y: float, radius: float) -> list[int]:
    """The advisory lock keys one attribution at (x, y) takes, sorted (the order they are taken).

    Two removals finishing at once on the same wall must not create two sites; two on different
    streets must not wait for each other (one lock per community serialised every agent's sync:
    benchmarks/agent_sync.py measured it as the main wait in the database). The ground is cut
    into cells of 2 × radius per community and support; a removal locks every cell its search
    square (± radius) meets. When two removals are within the radius of each other, the cell of
    one lies in the other's square, so they share a key and the second waits for the first.
    """
    cell = 2 * radius if radius > 0 else 1.0
    keys = set()
    for cx in range(math.floor((x - radius) / cell), math.floor((x + radius) / cell) + 1):
        for cy in range(math.floor((y - radius) / cell), math.floor((y + radius) / cell) + 1):
            name = f"ronde.site-cell:{community_id}:{support}:{cx}:{cy}".encode()
            keys.add(int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True))
    return sorted(keys)


def _lock_site_area(intervention: Intervention, radius: float) -> None:
    keys = site_area_lock_keys(
        community_id=intervention.community_id,
        support=intervention.support,
        x=intervention.geom.x,
        y=intervention.geom.y,
        radius=radius,
    )
    with connection.cursor() as cursor:
        # Shared: attributions elsewhere in the community go on; the backfill waits for them.
        # Then the cells, in key order (no two attributions can wait for each other in a cycle).
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(hashtext('ronde.sites'), %s), "
            "(SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k)",
            [intervention.community_id, keys],
        )


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
        _lock_site_area(intervention, radius)
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


def intervention_attribute_site_by_id(intervention_id: int) -> Asset | None:
    """intervention_attribute_site for the intervention with this id, when it is still a done
    tag removal without a site (it may have been edited or deleted since); else None."""
    intervention = (
        Intervention.objects.select_related("category", "community")
        .filter(pk=intervention_id, status=InterventionStatus.DONE, asset__isnull=True, category__is_tag=True)
        .first()
    )
    if intervention is None:
        return None
    return intervention_attribute_site(intervention=intervention)


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
