from django.core.management import call_command

from dashboards.services.sites import intervention_attribute_site, sites_attribute_all
from geo.models import Asset, AssetKind, Support
from interventions.models import Intervention, InterventionStatus
from tests.dashboards.helpers import cleaning, point, surface_site
from tests.factories import CategoryFactory, InterventionFactory, ReportFactory


def _removal(community, category, dx=0.0, dy=0.0, support=Support.WALL):
    return cleaning(community, category, day="2025-01-10", dx=dx, dy=dy, support=support)


def test_same_wall_joins_the_registered_site(community):
    tag = CategoryFactory(community=community)
    wall = surface_site(community)
    removal = _removal(community, tag, dx=3)
    assert intervention_attribute_site(intervention=removal) == wall
    removal.refresh_from_db()
    assert removal.asset_id == wall.pk


def test_across_the_street_is_another_site(community):
    tag = CategoryFactory(community=community)
    wall = surface_site(community)
    first = intervention_attribute_site(intervention=_removal(community, tag, dx=2))
    opposite = intervention_attribute_site(intervention=_removal(community, tag, dy=14))  # 14 m: other side
    again = intervention_attribute_site(intervention=_removal(community, tag, dy=15))
    assert first == wall
    assert opposite is not None and opposite != wall
    assert opposite.category.kind == AssetKind.SURFACE
    assert again == opposite  # the new site is remembered
    assert Asset.objects.filter(community=community).count() == 2


def test_other_support_is_another_site(community):
    tag = CategoryFactory(community=community)
    wall = surface_site(community)
    door = intervention_attribute_site(intervention=_removal(community, tag, dx=1, support=Support.DOOR))
    assert door != wall and door.support == Support.DOOR


def test_unfinished_or_non_tag_work_is_left_alone(community):
    tag = CategoryFactory(community=community)
    bench = CategoryFactory(community=community, is_tag=False)
    todo = InterventionFactory(community=community, category=tag, geom=point())
    repair = _removal(community, bench)
    assert intervention_attribute_site(intervention=todo) is None
    assert intervention_attribute_site(intervention=repair) is None
    assert not Asset.objects.exists()


def test_sites_of_another_community_are_never_used(community, other_community):
    surface_site(other_community)  # same place, other tenant
    tag = CategoryFactory(community=community)
    site = intervention_attribute_site(intervention=_removal(community, tag))
    assert site.community_id == community.pk


def test_backfill_command_groups_one_wall_and_splits_the_street(community, other_community):
    tag = CategoryFactory(community=community)
    wall = surface_site(community)
    near_wall = _removal(community, tag, dx=4)
    cluster = [_removal(community, tag, dx=100 + d) for d in (0, 2, 4, 6)]  # one wall, no site yet
    opposite = _removal(community, tag, dx=102, dy=15)
    elsewhere = cleaning(other_community, CategoryFactory(community=other_community), day="2025-01-10")
    report = ReportFactory(community=community, category=tag, geom=point(dx=101))
    call_command("attribute_sites", community=community.slug)
    for item in (near_wall, *cluster, opposite, elsewhere, report):
        item.refresh_from_db()
    assert near_wall.asset_id == wall.pk
    assert len({c.asset_id for c in cluster}) == 1 and cluster[0].asset_id not in (None, wall.pk)
    assert opposite.asset_id not in (None, cluster[0].asset_id)
    assert elsewhere.asset_id is None  # only the named community
    assert report.asset_id == cluster[0].asset_id
    # Running it again changes nothing.
    again = sites_attribute_all(community=community)
    assert (again.joined_existing, again.sites_created, again.reports_joined) == (0, 0, 0)


def test_backfill_splits_a_long_chain_of_tags(community):
    tag = CategoryFactory(community=community)
    chain = [_removal(community, tag, dx=3 * i) for i in range(30)]  # 87 m of tags every 3 m
    result = sites_attribute_all(community=community)
    sites = set(Intervention.objects.filter(pk__in=[c.pk for c in chain]).values_list("asset_id", flat=True))
    assert result.joined_new == 30
    assert 3 <= len(sites) <= 10  # cells of 20 m, not one 87-m site
    assert Intervention.objects.filter(status=InterventionStatus.DONE, asset__isnull=True).count() == 0


def test_finishing_a_removal_puts_it_on_its_site(community, django_capture_on_commit_callbacks):
    tag = CategoryFactory(community=community)
    wall = surface_site(community)
    removal = InterventionFactory(community=community, category=tag, geom=point(dx=2), support=Support.WALL)
    with django_capture_on_commit_callbacks(execute=True):
        removal.status = InterventionStatus.DONE
        removal.save()
    removal.refresh_from_db()
    assert removal.asset_id == wall.pk
