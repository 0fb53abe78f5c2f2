"""Fixtures for the field app: a dispatched mission of a team with an agent, test photos."""

import datetime as dt
import io
import random
import uuid
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlencode

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import Community, Role, Team, User
from accounts.services import api_token_create
from interventions.models import Intervention, InterventionStatus, Mission, MissionStatus
from tests.factories import (
    POITIERS,
    CategoryFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    TeamFactory,
    member,
)


@dataclass
class Field:
    community: Community
    team: Team
    agent: User
    client: APIClient
    mission: Mission
    stops: list[Intervention]


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return client


def make_field(community: Community, n_stops: int = 3) -> Field:
    agent = member(community, Role.AGENT)
    team = cast(Team, TeamFactory(community=community))
    team.members.add(agent)
    mission = cast(
        Mission,
        MissionFactory(
            community=community, team=team, date=timezone.localdate(), status=MissionStatus.DISPATCHED
        ),
    )
    category = CategoryFactory(community=community)
    stops: list[Intervention] = []
    for i in range(n_stops):
        # Sites 40 m apart along a street east of Poitiers centre (Lambert-93, metres).
        geom = Point(POITIERS[0] + 40 * i, POITIERS[1], srid=2154)
        report = ReportFactory(
            community=community, category=category, geom=geom, support="wall", offensive=i == 0
        )
        stops.append(
            cast(
                Intervention,
                InterventionFactory(
                    community=community,
                    category=category,
                    report=report,
                    mission=mission,
                    team=team,
                    geom=geom,
                    status=InterventionStatus.SCHEDULED,
                ),
            )
        )
    return Field(community, team, agent, token_client(agent), mission, stops)


@pytest.fixture
def field(community) -> Field:
    return make_field(community)


def _noise(size: tuple[int, int]) -> Image.Image:
    """Texture that compresses like a photo, the same on every run: Pillow's effect_noise is
    random, and a test damaging the file flaked when a draw happened to decode anyway."""
    grain = random.Random(f"{size}").randbytes(size[0] * size[1])
    return Image.merge("RGB", [Image.frombytes("L", size, grain).point(lambda v: 64 + v // 2)] * 3)


def jpeg_bytes(
    size: tuple[int, int] = (640, 480), exif: Image.Exif | None = None, quality: int = 90, noise: bool = False
) -> bytes:
    image = _noise(size) if noise else Image.new("RGB", size, (180, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes() if exif else b"")
    return out.getvalue()


def edit_body(field: Field, stop: Intervention, *, at: dt.datetime | None = None, **values) -> dict:
    body = {
        "client_updated_at": (at or timezone.now()).isoformat(),
        "intervention_id": stop.pk,
        "mission_id": field.mission.pk,
        "status": "done",
        "surface_m2": "2.50",
        "method": "hydro",
        "support": "wall",
        "started_at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(),
        "ended_at": timezone.now().isoformat(),
    }
    body.update(values)
    return body


def put_intervention(client: APIClient, key: uuid.UUID, body: dict):
    return client.put(f"/agent/api/interventions/{key}/", body, format="json")


def put_photo(
    client: APIClient,
    key: uuid.UUID,
    data: bytes,
    *,
    intervention: uuid.UUID,
    kind: str = "before",
    raw: bool = False,
    content_type: str = "image/jpeg",
):
    """A photo PUT as a multipart form, or (`raw`) as the body with its fields in the query string,
    as the field app sends it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    if raw:
        query = urlencode({"kind": kind, "intervention": str(intervention)})
        return client.put(f"/agent/api/photos/{key}/?{query}", data, content_type=content_type)
    upload = SimpleUploadedFile("photo.jpg", data, content_type=content_type)
    return client.put(
        f"/agent/api/photos/{key}/",
        {"file": upload, "kind": kind, "intervention": str(intervention)},
        format="multipart",
    )
