import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from dashboards.services.sites import intervention_attribute_site, site_area_lock_keys, sites_attribute_all
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


def _unattributed(*removals):
    """Outside a test transaction, saving a done removal attributes it at once (on commit):
    undo that, so the test attributes them itself."""
    Intervention.objects.filter(pk__in=[r.pk for r in removals]).update(asset=None)
    Asset.objects.all().delete()


def _attribute_in_thread(pk: int, *, committed: threading.Event, hold: threading.Event | None = None):
    """Attribute intervention `pk` in its own transaction and connection; with `hold`, keep the
    transaction (and its locks) open until `hold` is set. Returns (thread, result dict)."""
    result: dict = {}

    def work() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
                removal = Intervention.objects.select_related("category").get(pk=pk)
                result["site"] = intervention_attribute_site(intervention=removal)
                result["attributed"] = True
                if hold is not None:
                    hold.wait(10)
            committed.set()
        except Exception as exc:  # noqa: BLE001 — reported to the test
            result["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, result


def _second_while_first_holds(community, dx: float) -> tuple[bool, dict, dict]:
    """Two done removals `dx` metres apart, unattributed; the first is attributed in a
    transaction kept open, then the second in another. (Did the second commit while the first
    still held its locks, the first's result, the second's result.)"""
    tag = CategoryFactory(community=community)
    first, second = _removal(community, tag), _removal(community, tag, dx=dx)
    _unattributed(first, second)
    release, first_done, second_done = threading.Event(), threading.Event(), threading.Event()
    a, a_result = _attribute_in_thread(first.pk, committed=first_done, hold=release)
    while "attributed" not in a_result and "error" not in a_result:
        time.sleep(0.01)
    b, b_result = _attribute_in_thread(second.pk, committed=second_done)
    try:
        went_on = second_done.wait(1.0)
    finally:
        release.set()
        a.join(10)
        b.join(10)
    assert "error" not in a_result and "error" not in b_result, (a_result, b_result)
    return went_on, a_result, b_result


@pytest.mark.django_db(transaction=True)
def test_two_agents_finishing_on_one_wall_at_once_make_one_site(community):
    went_on, first, second = _second_while_first_holds(community, dx=3)
    # The second waited for the first's new site to be committed, then joined it.
    assert not went_on
    assert first["site"] == second["site"]
    assert Asset.objects.filter(community=community).count() == 1


@pytest.mark.django_db(transaction=True)
def test_agents_finishing_on_different_streets_do_not_wait_for_each_other(community):
    went_on, first, second = _second_while_first_holds(community, dx=300)
    assert went_on  # committed while the first transaction still held its locks
    assert first["site"] != second["site"]


@pytest.mark.parametrize("dx", [0.0, 2.5, 4.99, 5.0, 9.0])
def test_removals_within_the_radius_share_a_lock(dx):
    for x in (0.0, 3.7, 9.99, 1234.5):
        here = site_area_lock_keys(community_id=1, support="wall", x=x, y=7.0, radius=5.0)
        there = site_area_lock_keys(community_id=1, support="wall", x=x + dx, y=7.0 + dx / 2, radius=5.0)
        shared = set(here) & set(there)
        assert shared or dx > 5.0 * 1.2, (x, dx)
    assert not set(site_area_lock_keys(community_id=1, support="wall", x=0, y=0, radius=5.0)) & set(
        site_area_lock_keys(community_id=1, support="door", x=0, y=0, radius=5.0)
    )
