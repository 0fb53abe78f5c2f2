"""Deleting an intervention or a mission hides it everywhere but loses nothing: an admin
restores it; only `purge_deleted --older-than DAYS` removes rows."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Role
from interventions.models import Intervention, Mission
from tests.factories import CategoryFactory, InterventionFactory, MissionFactory, TeamFactory
from tests.tiles.helpers import decode, tile_of, url

pytestmark = pytest.mark.django_db


def test_api_delete_hides_the_intervention_everywhere(
    community, api_as, client, django_capture_on_commit_callbacks
):
    api = api_as(community, Role.DISPATCHER)
    job = InterventionFactory(community=community, category=CategoryFactory(community=community))
    client.force_login(api.user)
    tile = tile_of(job.geom, 16)
    before = decode(client.get(url("interventions", tile)))["interventions"]["features"]
    assert [f["id"] for f in before] == [job.pk]
    with django_capture_on_commit_callbacks(execute=True):  # the tile cache purge runs on commit
        assert api.delete(f"/api/v1/interventions/{job.pk}/").status_code == 204
    row = Intervention.all_objects.get(pk=job.pk)
    assert row.deleted_at is not None and row.deleted_by_id == api.user.pk
    assert api.get(f"/api/v1/interventions/{job.pk}/").status_code == 404
    assert api.get("/api/v1/interventions/").json()["count"] == 0
    assert not Intervention.objects.filter(pk=job.pk).exists()
    # The vector tile layer reads SQL directly: the deleted row is not in it either.
    features = decode(client.get(url("interventions", tile))).get("interventions", {}).get("features", [])
    assert [f for f in features if f["id"] == job.pk] == []


def test_api_delete_of_a_mission_is_soft_and_planners_only(community, api_as):
    mission = MissionFactory(community=community, team=TeamFactory(community=community))
    assert api_as(community, Role.AGENT).delete(f"/api/v1/missions/{mission.pk}/").status_code == 403
    api = api_as(community, Role.DISPATCHER)
    assert api.delete(f"/api/v1/missions/{mission.pk}/").status_code == 204
    assert api.get(f"/api/v1/missions/{mission.pk}/").status_code == 404
    assert Mission.all_objects.get(pk=mission.pk).deleted_at is not None


def test_admin_restore_action_brings_it_back(community, admin_client):
    from interventions.services.deletion import intervention_delete

    job = InterventionFactory(community=community, category=CategoryFactory(community=community))
    intervention_delete(intervention=job)
    listing = admin_client.get("/admin/interventions/intervention/?deleted=yes")
    assert listing.status_code == 200 and f'value="{job.pk}"'.encode() in listing.content
    response = admin_client.post(
        "/admin/interventions/intervention/?deleted=yes",
        {"action": "restore_selected", "_selected_action": [job.pk]},
    )
    assert response.status_code == 302
    assert Intervention.objects.filter(pk=job.pk).exists()


def test_admin_delete_is_soft(community, admin_client):
    mission = MissionFactory(community=community, team=TeamFactory(community=community))
    response = admin_client.post(f"/admin/interventions/mission/{mission.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Mission.all_objects.get(pk=mission.pk).deleted_at is not None


def test_purge_command_removes_only_old_deletions(community):
    category = CategoryFactory(community=community)
    old, recent, live = (InterventionFactory(community=community, category=category) for _ in range(3))
    long_ago = timezone.now() - dt.timedelta(days=90)
    Intervention.all_objects.filter(pk=old.pk).update(deleted_at=long_ago)
    Intervention.all_objects.filter(pk=recent.pk).update(deleted_at=timezone.now())
    out = io.StringIO()
    call_command("purge_deleted", "--older-than", "30", "--dry-run", stdout=out)
    assert "would purge 1 intervention" in out.getvalue()
    assert Intervention.all_objects.count() == 3
    call_command("purge_deleted", "--older-than", "30", stdout=io.StringIO())
    assert set(Intervention.all_objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    with pytest.raises(CommandError, match="older-than"):
        call_command("purge_deleted", "--older-than", "-1")


def test_replaying_a_deleted_interventions_key_is_a_clear_400(community, api_as):
    import uuid

    api = api_as(community, Role.DISPATCHER)
    category = CategoryFactory(community=community)
    key = str(uuid.uuid4())
    body = {
        "geometry": {"type": "Point", "coordinates": [0.3404, 46.5802]},
        "category": category.pk,
        "client_uuid": key,
    }
    pk = api.post("/api/v1/interventions/", body, format="json").json()["id"]
    assert api.delete(f"/api/v1/interventions/{pk}/").status_code == 204
    replay = api.post("/api/v1/interventions/", body, format="json")
    assert replay.status_code == 400 and "client_uuid" in replay.json()
