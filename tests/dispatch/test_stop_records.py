"""What the agent recorded, shown to the dispatcher (issue 18): board progress and sheet;
the sheet counts planned stops, gives French reasons, and draws numbered stops on top."""

import datetime as dt
import io
import re

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from dispatch.mapsvg import MapStop, mission_map_svg
from interventions.models import InterventionStatus, MissionStop, Photo, PhotoKind, StopStatus
from tests.dispatch.helpers import at
from tests.dispatch.test_sheet import browser_for, optimised  # noqa: F401 — the fixture
from tests.factories import InterventionFactory, MissionFactory, TeamFactory


def jpeg() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 30)).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="shot.jpg")


def recorded_job(community, **fields):
    start = timezone.make_aware(dt.datetime(2025, 6, 2, 9, 5))
    job = InterventionFactory(
        community=community, started_at=start, ended_at=start + dt.timedelta(minutes=25), **fields
    )
    for kind in (PhotoKind.BEFORE, PhotoKind.AFTER, PhotoKind.DETAIL):
        Photo.objects.create(
            community=community, intervention=job, kind=kind, taken_at=timezone.now(), file=jpeg()
        )
    return job


def test_progress_gives_the_reason_times_notes_and_every_photo(api_as, community, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mission = MissionFactory(community=community, team=TeamFactory(community=community), status="in_progress")
    job = recorded_job(
        community, status=InterventionStatus.NOT_DONE, not_done_reason="inaccessible", notes="Portail fermé"
    )
    stop = MissionStop.objects.create(mission=mission, intervention=job, sequence=1)

    body = (
        api_as(community)
        .get(f"/dispatch/api/missions/{mission.pk}/progress/", HTTP_ACCEPT_LANGUAGE="fr")
        .json()
    )

    [entry] = body["stops"]
    assert entry["id"] == stop.pk and entry["state"] == "not_done"
    assert entry["not_done_reason"] == "Inaccessible"  # the label, not the code
    assert (entry["started_at"], entry["ended_at"], entry["notes"]) == ("09:05", "09:30", "Portail fermé")
    assert len(entry["photos"]) == 3
    client = api_as(community)
    assert client.get(entry["photos"][1]["thumb"]).status_code == 200  # the dispatcher may open it


def test_sheet_ticks_done_stops_with_all_photos_and_counts_planned_stops(optimised, community):  # noqa: F811
    mission, stops, _ = optimised
    done_stop = mission.stops.exclude(intervention=None).order_by("sequence").first()
    job = done_stop.intervention
    start = timezone.make_aware(dt.datetime(2025, 6, 2, 9, 5))
    job.status, job.started_at, job.ended_at = (
        InterventionStatus.DONE,
        start,
        start + dt.timedelta(minutes=20),
    )
    job.save()
    for kind in (PhotoKind.BEFORE, PhotoKind.AFTER):
        Photo.objects.create(
            community=community, intervention=job, kind=kind, taken_at=timezone.now(), file=jpeg()
        )
    dropped = mission.stops.exclude(pk=done_stop.pk).order_by("sequence").last()
    dropped.status, dropped.reason, dropped.sequence = (
        StopStatus.UNASSIGNED,
        "no time left in the shift",
        None,
    )
    dropped.holds_job = False
    dropped.save()
    client, _ = browser_for(community)

    html = client.get(f"/dispatch/missions/{mission.pk}/sheet/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    row = re.search(rf'<tr data-stop="{done_stop.pk}".*?</tr>', html, re.S).group(0)
    assert row.count('src="data:image/jpeg;base64,') == 2  # before and after, not one
    assert 'data-outcome="done"' in row and "✓" in row and "09:05–09:25" in row
    count = re.search(r'id="sheet-stop-count">(.*?)</dd>', html, re.S).group(1)
    assert count.startswith("3") and "1 hors tournée" in count  # not "4"
    assert "plus de temps dans les horaires" in html and "no time left" not in html


def test_numbered_stops_are_drawn_above_dropped_ones(community):
    from django.contrib.gis.geos import Polygon

    zone = Polygon.from_bbox((*at(-50, -50).coords, *at(50, 50).coords))
    zone.srid = 2154
    stops = [
        MapStop(number="1", point=at(0, 0), state="planned"),
        MapStop(number="–", point=at(2, 1), state="unassigned"),  # 2 m away, listed after
    ]
    svg = mission_map_svg(
        community_id=community.pk, zone=zone, route=None, stops=stops, depot=None, title="t"
    )
    assert svg.index(">–</text>") < svg.index(">1</text>")  # painted first, so underneath
