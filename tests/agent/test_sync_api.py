"""The field app's sync API: idempotency keys, conflict rules, tenancy."""

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Community, Role
from agent.models import AuditEntry, AuditKind, InterventionSync
from interventions.models import Intervention, MissionStatus, Photo, Report
from interventions.services.interventions import intervention_delete
from tests.agent.conftest import edit_body, jpeg_bytes, make_field, put_intervention, put_photo, token_client
from tests.factories import CategoryFactory, CommunityFactory, TeamFactory, member

pytestmark = pytest.mark.django_db


def test_agent_sees_todays_mission_with_ordered_stops_and_report_defaults(field):
    listing = field.client.get("/agent/api/missions/")
    assert listing.status_code == 200
    assert [m["id"] for m in listing.json()["missions"]] == [field.mission.pk]
    detail = field.client.get(f"/agent/api/missions/{field.mission.pk}/").json()
    assert [s["intervention_id"] for s in detail["stops"]] == [s.pk for s in field.stops]
    first = detail["stops"][0]
    assert first["defaults"]["support"] == "wall" and first["defaults"]["offensive"] is True
    lon, lat = first["position"]
    assert 0.33 < lon < 0.35 and 46.57 < lat < 46.59  # Poitiers, EPSG:4326
    assert detail["zone"]["type"] == "Polygon" and len(detail["bbox"]) == 4


def test_replay_returns_the_same_intervention_and_creates_nothing(field):
    key = uuid.uuid4()
    body = edit_body(field, field.stops[0])
    first = put_intervention(field.client, key, body)
    assert first.status_code == 201, first.json()
    count = Intervention.objects.count()
    again = put_intervention(field.client, key, body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["applied"] is False
    assert Intervention.objects.count() == count
    stop = Intervention.objects.get(pk=field.stops[0].pk)
    assert stop.client_uuid == key and stop.status == "done" and str(stop.surface_m2) == "2.50"


def test_new_unplanned_intervention_retried_after_a_timeout_exists_once(field):
    key = uuid.uuid4()
    category = field.stops[0].category
    body = {
        "client_updated_at": timezone.now().isoformat(),
        "category_id": category.pk,
        "lon": 0.3404,
        "lat": 46.5802,
        "status": "done",
    }
    before = Intervention.objects.count()
    # The client never saw the first answer ("timeout") and sends the same entry again.
    assert put_intervention(field.client, key, body).status_code == 201
    assert put_intervention(field.client, key, body).status_code == 200
    assert Intervention.objects.count() == before + 1
    assert Intervention.objects.get(client_uuid=key).agents.filter(pk=field.agent.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_double_submit_at_the_same_moment_creates_one_intervention(community):
    field = make_field(community, n_stops=1)
    key = uuid.uuid4()
    body = {
        "client_updated_at": timezone.now().isoformat(),
        "category_id": field.stops[0].category_id,
        "lon": 0.3404,
        "lat": 46.5802,
        "status": "in_progress",
    }
    token = field.client._credentials["HTTP_AUTHORIZATION"]

    def send(_):
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        try:
            return put_intervention(client, key, body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes == [200, 200, 200, 201]
    assert Intervention.objects.filter(client_uuid=key).count() == 1


def test_photo_replay_returns_the_same_photo(field):
    key, photo_key = uuid.uuid4(), uuid.uuid4()
    put_intervention(field.client, key, edit_body(field, field.stops[0]))
    data = jpeg_bytes()
    first = put_photo(field.client, photo_key, data, intervention=key)
    assert first.status_code == 201, first.json()
    again = put_photo(field.client, photo_key, data, intervention=key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Photo.objects.filter(intervention=field.stops[0]).count() == 1


def test_a_photo_replay_after_the_agent_left_the_team_still_gets_its_photo(field):
    """The outbox lost the first answer; meanwhile the office moved the agent: the photo was
    stored, so the replay is answered with it (200), not refused (403), and stored once."""
    key, photo_key = uuid.uuid4(), uuid.uuid4()
    put_intervention(field.client, key, edit_body(field, field.stops[0]))
    data = jpeg_bytes()
    first = put_photo(field.client, photo_key, data, intervention=key)
    assert first.status_code == 201, first.json()
    field.team.members.remove(field.agent)
    assert put_photo(field.client, uuid.uuid4(), data, intervention=key).status_code == 403
    again = put_photo(field.client, photo_key, data, intervention=key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Photo.objects.filter(intervention=field.stops[0]).count() == 1


def test_a_first_photo_delivery_reads_only_its_caller_and_intervention_before_storing(field):
    """What 50 agents syncing at once wait on: the caller's teams come with the caller's own
    statement, and a new key is not looked up before its INSERT (a replay meets the unique key)."""
    key = uuid.uuid4()
    put_intervention(field.client, key, edit_body(field, field.stops[0]))
    data = jpeg_bytes()
    with CaptureQueriesContext(connection) as queries:
        response = put_photo(field.client, uuid.uuid4(), data, intervention=key)
    assert response.status_code == 201, response.json()
    sql = [q["sql"] for q in queries.captured_queries]
    teams = [q for q in sql if "accounts_team_members" in q]
    assert len(teams) == 1 and "accounts_membership" in teams[0]
    photo = [q for q in sql if "interventions_photo" in q]
    assert photo[0].startswith("INSERT"), photo[0]


def test_a_photo_key_used_in_another_community_is_a_400_naming_it(field, community):
    other = make_field(cast(Community, CommunityFactory(slug="ailleurs")))
    other_key, photo_key = uuid.uuid4(), uuid.uuid4()
    put_intervention(other.client, other_key, edit_body(other, other.stops[0]))
    assert put_photo(other.client, photo_key, jpeg_bytes(), intervention=other_key).status_code == 201
    key = uuid.uuid4()
    put_intervention(field.client, key, edit_body(field, field.stops[0]))
    response = put_photo(field.client, photo_key, jpeg_bytes(), intervention=key)
    assert response.status_code == 400 and "client_uuid" in response.json()
    assert not Photo.objects.filter(community=community).exists()
    assert Photo.objects.filter(client_uuid=photo_key).get().community == other.community


def test_a_photo_posted_instead_of_put_is_the_same_upload(field):
    """Some proxies and old WebViews send multipart bodies only by POST: same upload, same key."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    key, photo_key = uuid.uuid4(), uuid.uuid4()
    put_intervention(field.client, key, edit_body(field, field.stops[0]))
    data = jpeg_bytes()
    upload = SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
    body = {"file": upload, "kind": "after", "intervention": str(key)}
    posted = field.client.post(f"/agent/api/photos/{photo_key}/", body, format="multipart")
    assert posted.status_code == 201, posted.content
    again = put_photo(field.client, photo_key, data, intervention=key, kind="after")
    assert again.status_code == 200 and again.json()["id"] == posted.json()["id"]
    assert Photo.objects.filter(intervention=field.stops[0], kind="after").count() == 1


def test_photo_before_its_intervention_is_a_400_the_client_retries(field):
    response = put_photo(field.client, uuid.uuid4(), jpeg_bytes(), intervention=uuid.uuid4())
    assert response.status_code == 400
    assert "intervention" in response.json()


def test_work_on_an_intervention_deleted_in_the_office_is_refused_with_the_reason(field):
    """Deleted while the agent was offline: the first delivery is refused as a replay of known
    work is, and nothing is written into the deleted row."""
    stop = field.stops[0]
    intervention_delete(intervention=stop)
    response = put_intervention(field.client, uuid.uuid4(), edit_body(field, stop))
    assert response.status_code == 400
    assert response.json()["intervention_id"] == ["Cette intervention a été supprimée au bureau."]
    stored = Intervention.all_objects.get(pk=stop.pk)
    assert stored.status == stop.status and stored.client_uuid is None
    assert not InterventionSync.objects.filter(intervention_id=stop.pk).exists()


def test_a_refusal_is_in_the_agents_language(field):
    """The field app shows the server's reason as it came (the outbox details screen): in
    French by default, in English on a device set to English."""
    stop = {"client_updated_at": timezone.now().isoformat(), "stop_id": 999_999, "status": "done"}
    french = put_intervention(field.client, uuid.uuid4(), stop)
    assert french.status_code == 400
    assert french.json()["stop_id"] == ["Cet arrêt n’existe pas dans votre collectivité."]
    photo = put_photo(field.client, uuid.uuid4(), jpeg_bytes(), intervention=uuid.uuid4())
    assert photo.json()["intervention"] == ["Cette intervention n’est pas encore arrivée sur le serveur."]
    field.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = put_intervention(field.client, uuid.uuid4(), stop)
    assert english.json()["stop_id"] == ["No such stop in your community."]


def test_report_replay_creates_one_report(field):
    key = uuid.uuid4()
    body = {"category_id": field.stops[0].category_id, "lon": 0.3404, "lat": 46.5802, "description": "Tag"}
    before = Report.objects.count()
    assert field.client.put(f"/agent/api/reports/{key}/", body, format="json").status_code == 201
    assert field.client.put(f"/agent/api/reports/{key}/", body, format="json").status_code == 200
    assert Report.objects.count() == before + 1
    report = Report.objects.get(client_uuid=key)
    assert report.source == "agent" and report.reporter == field.agent


def test_report_outside_the_territory_names_the_field(field):
    body = {"category_id": field.stops[0].category_id, "lon": 2.35, "lat": 48.85}  # Paris
    response = field.client.put(f"/agent/api/reports/{uuid.uuid4()}/", body, format="json")
    assert response.status_code == 400 and "lon" in response.json()


def test_report_at_a_pole_names_the_position_not_a_500(field):
    """schemathesis sent lat -90: within range, but PROJ cannot put it in Lambert-93."""
    key = uuid.uuid4()
    body = {"category_id": field.stops[0].category_id, "lon": 0.0, "lat": -90}
    response = field.client.put(f"/agent/api/reports/{key}/", body, format="json")
    assert response.status_code == 400, response.content
    assert "EPSG:2154" in " ".join(response.json()["lat"])
    assert not Report.objects.filter(client_uuid=key).exists()


def test_a_new_territory_holds_for_the_next_report(field, community):
    """The territory is kept per worker thread between requests: a change is seen at once."""
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from accounts.services import community_set_territory

    body = {"category_id": field.stops[0].category_id, "lon": 0.3404, "lat": 46.5802}
    assert field.client.put(f"/agent/api/reports/{uuid.uuid4()}/", body, format="json").status_code == 201
    elsewhere = Point(2.35, 48.85, srid=4326).transform(2154, clone=True)  # Paris
    community_set_territory(
        community=community,
        territory=MultiPolygon(Polygon.from_bbox(elsewhere.buffer(1000).extent), srid=2154),
    )
    response = field.client.put(f"/agent/api/reports/{uuid.uuid4()}/", body, format="json")
    assert response.status_code == 400 and "lon" in response.json()


def test_bad_values_are_400s_naming_the_field(field):
    body = edit_body(field, field.stops[0], surface_m2="-3", method="sandblast")
    response = put_intervention(field.client, uuid.uuid4(), body)
    assert response.status_code == 400
    assert set(response.json()) >= {"surface_m2", "method"}
    not_done = edit_body(field, field.stops[0], status="not_done")
    response = put_intervention(field.client, uuid.uuid4(), not_done)
    assert response.status_code == 400 and "not_done_reason" in response.json()


def test_work_on_a_cancelled_mission_is_kept_and_flagged(field):
    field.mission.status = MissionStatus.CANCELLED
    field.mission.save()
    key = uuid.uuid4()
    body = edit_body(field, field.stops[0])
    response = put_intervention(field.client, key, body)
    assert response.status_code == 201
    assert response.json()["flagged"] is True
    assert Intervention.objects.get(pk=field.stops[0].pk).status == "done"
    assert (
        InterventionSync.objects.get(intervention=field.stops[0]).flag_reason == AuditKind.MISSION_CANCELLED
    )
    assert (
        AuditEntry.objects.filter(intervention=field.stops[0], kind=AuditKind.MISSION_CANCELLED).count() == 1
    )
    put_intervention(field.client, key, body)  # a replay adds no entry
    assert AuditEntry.objects.filter(intervention=field.stops[0]).count() == 1


def test_work_on_a_mission_reassigned_after_download_is_kept_and_flagged(field):
    field.client.get(f"/agent/api/missions/{field.mission.pk}/")  # handed to the agent
    field.mission.team = TeamFactory(community=field.community)
    field.mission.save()
    response = put_intervention(field.client, uuid.uuid4(), edit_body(field, field.stops[1]))
    assert response.status_code == 201
    assert response.json()["flagged"] is True
    assert AuditEntry.objects.filter(kind=AuditKind.MISSION_REASSIGNED, intervention=field.stops[1]).exists()


def test_concurrent_edits_keep_the_latest_device_time_and_audit(field):
    other_agent = member(field.community, Role.AGENT)
    field.team.members.add(other_agent)
    other = token_client(other_agent)
    stop = field.stops[0]
    now = timezone.now()
    a, b = uuid.uuid4(), uuid.uuid4()
    # Device B edited later (10:05) but syncs first; device A's older edit (10:00) arrives after.
    assert put_intervention(other, b, edit_body(field, stop, at=now, surface_m2="4.00")).status_code == 201
    late = put_intervention(
        field.client, a, edit_body(field, stop, at=now - dt.timedelta(minutes=5), surface_m2="1.00")
    )
    assert late.status_code == 201 and late.json()["applied"] is False
    stop.refresh_from_db()
    assert str(stop.surface_m2) == "4.00"
    stale = AuditEntry.objects.get(intervention=stop, kind=AuditKind.STALE_EDIT)
    assert stale.detail["dropped"]["surface_m2"] == "1.00"
    # A newer edit from device A wins, and the replaced value is audited.
    newer = put_intervention(
        field.client, a, edit_body(field, stop, at=now + dt.timedelta(minutes=1), surface_m2="5.00")
    )
    assert newer.json()["applied"] is True
    stop.refresh_from_db()
    assert str(stop.surface_m2) == "5.00"
    concurrent = AuditEntry.objects.get(intervention=stop, kind=AuditKind.CONCURRENT_EDIT)
    assert concurrent.detail["changes"]["surface_m2"] == ["4.00", "5.00"]
    assert Intervention.objects.filter(pk=stop.pk).count() == 1  # both keys point at one row


def test_agent_cannot_read_or_write_another_teams_mission(field):
    outsider = member(field.community, Role.AGENT)
    client = token_client(outsider)
    assert client.get("/agent/api/missions/").json()["missions"] == []
    assert client.get(f"/agent/api/missions/{field.mission.pk}/").status_code == 404
    response = put_intervention(client, uuid.uuid4(), edit_body(field, field.stops[0]))
    assert response.status_code == 403
    assert Intervention.objects.get(pk=field.stops[0].pk).status == "scheduled"


def test_agent_cannot_touch_another_communitys_work(field, other_community):
    stranger = make_field(other_community, n_stops=1)
    assert field.client.get(f"/agent/api/missions/{stranger.mission.pk}/").status_code == 404
    response = put_intervention(field.client, uuid.uuid4(), edit_body(stranger, stranger.stops[0]))
    assert response.status_code == 400 and "intervention_id" in response.json()
    # A key already used in the other community is not a way in either.
    key = uuid.uuid4()
    put_intervention(stranger.client, key, edit_body(stranger, stranger.stops[0]))
    response = put_intervention(field.client, key, edit_body(field, field.stops[0]))
    assert response.status_code == 400 and "client_uuid" in response.json()
    assert Intervention.objects.get(pk=field.stops[0].pk).client_uuid is None
    body = {"category_id": CategoryFactory(community=other_community).pk, "lon": 0.34, "lat": 46.58}
    response = field.client.put(f"/agent/api/reports/{uuid.uuid4()}/", body, format="json")
    assert response.status_code == 400 and "category_id" in response.json()


def test_viewer_cannot_use_the_field_api(community):
    viewer = token_client(member(community, Role.VIEWER))
    assert viewer.get("/agent/api/missions/").status_code == 403


def test_stop_from_a_report_only_becomes_an_intervention(community):
    from interventions.models import MissionStop

    field = make_field(community, n_stops=1)
    report = field.stops[0].report
    stop = MissionStop.objects.create(mission=field.mission, report=report, sequence=1)
    detail = field.client.get(f"/agent/api/missions/{field.mission.pk}/").json()
    assert [s["stop_id"] for s in detail["stops"]] == [stop.pk]
    body = edit_body(field, field.stops[0])
    body.pop("intervention_id")
    body["stop_id"] = stop.pk
    response = put_intervention(field.client, uuid.uuid4(), body)
    assert response.status_code == 201, response.json()
    stop.refresh_from_db()
    assert stop.intervention is not None and stop.intervention.report == report
    assert stop.intervention.mission == field.mission and stop.intervention.team == field.team
    assert stop.status == "done"
    report.refresh_from_db()
    assert report.status == "accepted"  # as when a dispatcher dispatches the mission


def test_an_end_before_the_stored_start_is_a_400_and_changes_nothing(field):
    """The serializer sees one edit; the service checks it against the stored row: a 400 naming ended_at."""
    key = uuid.uuid4()
    started = timezone.now() - dt.timedelta(hours=1)
    first = edit_body(field, field.stops[0], started_at=started.isoformat(), ended_at=None)
    assert put_intervention(field.client, key, first).status_code == 201
    later = edit_body(field, field.stops[0], at=timezone.now() + dt.timedelta(seconds=1))
    later.pop("started_at")
    later["ended_at"] = (started - dt.timedelta(minutes=10)).isoformat()
    response = put_intervention(field.client, key, later)
    assert response.status_code == 400
    assert "ended_at" in response.json()
    stored = Intervention.objects.get(pk=field.stops[0].pk)
    assert stored.ended_at is None and stored.started_at == started


def test_a_resumed_stop_keeps_the_notes_and_start_time_recorded_before(field):
    """A stop resumed on a phone that lost its form sends a new start and empty notes: the
    server keeps what the earlier edit recorded (and the photos, which no edit touches)."""
    key, stop = uuid.uuid4(), field.stops[0]
    started = timezone.now() - dt.timedelta(hours=1)
    first = edit_body(
        field,
        stop,
        status="in_progress",
        started_at=started.isoformat(),
        ended_at=None,
        notes="Shutter, tag 2 m²",
    )
    assert put_intervention(field.client, key, first).status_code == 201
    assert put_photo(field.client, uuid.uuid4(), jpeg_bytes(), intervention=key).status_code == 201
    resumed = edit_body(
        field,
        stop,
        at=timezone.now() + dt.timedelta(seconds=1),
        status="in_progress",
        started_at=timezone.now().isoformat(),
        ended_at=None,
        notes="",
    )
    response = put_intervention(field.client, key, resumed)
    assert response.status_code == 200 and response.json()["applied"] is True
    assert response.json()["notes"] == "Shutter, tag 2 m²"
    stored = Intervention.objects.get(pk=stop.pk)
    assert stored.notes == "Shutter, tag 2 m²" and stored.started_at == started
    assert Photo.objects.filter(intervention=stop).count() == 1
    # Notes the agent does write replace the old ones; a null start does not unset it.
    later = edit_body(
        field, stop, at=timezone.now() + dt.timedelta(seconds=2), started_at=None, notes="Done, owner told"
    )
    assert put_intervention(field.client, key, later).json()["applied"] is True
    stored.refresh_from_db()
    assert stored.notes == "Done, owner told" and stored.started_at == started and stored.status == "done"


def test_the_mission_carries_its_walking_network_and_only_its_own(field):
    from tests.factories import CommunityFactory
    from tests.geo.routing_grids import grid

    grid(field.community, n=2, step=100.0)  # 12 segments inside the zone
    grid(CommunityFactory(), n=2, step=100.0)
    body = field.client.get(f"/agent/api/missions/{field.mission.pk}/").json()
    edges = body["network"]["edges"]
    assert len(edges) == 12 and body["network"]["truncated"] is False
    length, coords = edges[0]
    assert length == pytest.approx(100.0, abs=0.1)
    assert all(-1 < lon < 1 and 46 < lat < 47 for lon, lat in coords)  # EPSG:4326, Poitiers
