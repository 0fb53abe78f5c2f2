"""Two communities with one of everything, for the permission matrix and photo tests.

The other community's names and texts carry LEAK so a test can assert that no response
given to a member of the first community ever contains it.
"""

import datetime as dt
import io
import math
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from accounts.models import Community, Role, User
from accounts.sharing import share_token_make
from geo.models.imports import ImportJob
from interventions.models import (
    MissionOptimization,
    Open311Request,
    OptimizationStage,
    OptimizationStatus,
    Photo,
    PhotoKind,
)
from interventions.models.recurrence import MissionTemplate
from interventions.open311.services import partner_key_create
from tests.factories import (
    POITIERS,
    AssetFactory,
    CategoryFactory,
    CommunityFactory,
    InterventionFactory,
    MissionFactory,
    ReportFactory,
    TeamFactory,
    ZoneFactory,
    member,
    square,
)

LEAK = "ZZLEAKZZ"
ROLES = (Role.ADMIN, Role.DISPATCHER, Role.AGENT, Role.VIEWER)


def jpeg_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Side:
    """One community's objects, by kind."""

    community: Community
    objects: dict[str, Any] = field(default_factory=dict)
    partner_key: str = ""
    share_token: str = ""

    def __getitem__(self, kind: str) -> Any:
        return self.objects[kind]


def build_side(*, slug: str, marker: str, crew: list[User] | None = None) -> Side:
    community: Any = CommunityFactory(slug=slug, name=f"{slug} {marker}".strip())
    team: Any = TeamFactory(community=community, name=f"Brigade {marker}")
    team.members.add(*(crew or []))
    category: Any = CategoryFactory(community=community, code=f"tag-{slug}", name=f"Tag {marker}")
    zone: Any = ZoneFactory(community=community, name=f"Quartier {marker}")
    asset: Any = AssetFactory(community=community, name=f"Mur {marker}")
    report: Any = ReportFactory(
        community=community, category=category, description=f"Tag {marker}", client_uuid=uuid.uuid4()
    )
    mission: Any = MissionFactory(community=community, team=team, name=f"Tournée {marker}")
    # An optimisation the background worker finished: its status URL answers.
    MissionOptimization.objects.create(
        mission=mission, status=OptimizationStatus.DONE, stage=OptimizationStage.FINISHED, progress=100
    )
    intervention: Any = InterventionFactory(
        community=community,
        category=category,
        mission=mission,
        team=team,
        notes=f"Notes {marker}",
        client_uuid=uuid.uuid4(),
        planned_date=timezone.localdate(),
    )
    photo = Photo(
        community=community,
        intervention=intervention,
        kind=PhotoKind.BEFORE,
        taken_at=timezone.now(),
        client_uuid=uuid.uuid4(),
    )
    photo.file.save(f"{slug}.jpg", ContentFile(jpeg_bytes()), save=False)
    photo.save()
    job = ImportJob.objects.create(
        community=community,
        file_path="/nonexistent.geojson",
        original_name=f"{marker}.geojson",
        into="assets",
    )
    template = MissionTemplate.objects.create(
        community=community,
        name=f"Chaque lundi {marker}",
        team=team,
        zone=square(*POITIERS, 300),
        weekdays=[0],
        starts_on=dt.date(2025, 1, 6),
    )
    partner, key = partner_key_create(community=community, name=f"Appli {marker}")
    # A person of the community for the administration's user pages.
    worker = member(community, Role.AGENT, username=f"worker-{slug}{marker}", email=f"worker@{slug}.example")
    open311 = Open311Request.objects.create(report=report)
    side = Side(
        community=community,
        objects={
            "team": team,
            "category": category,
            "zone": zone,
            "asset": asset,
            "asset_category": asset.category,
            "report": report,
            "mission": mission,
            "intervention": intervention,
            "photo": photo,
            "import_job": job,
            "template": template,
            "open311": open311,
            "partner": partner,
            "member": worker,
        },
        partner_key=key,
        share_token=share_token_make(community=community),
    )
    return side


@dataclass
class World:
    own: Side
    other: Side
    users: dict[str, User]

    def tile(self, zoom: int = 15) -> tuple[int, int, int]:
        """The tile over Poitiers centre (where every object of both communities is)."""
        point: Any = Point(*POITIERS, srid=2154).transform(4326, clone=True)
        n = 2**zoom
        x = int((point.x + 180.0) / 360.0 * n)
        lat = math.radians(point.y)
        y = int((1.0 - math.asinh(math.tan(lat)) / math.pi) / 2.0 * n)
        return zoom, x, y


def build_world() -> World:
    """Members of every role in `own`, all in own's team (the field app shows them its mission)."""
    own_community: Any = CommunityFactory(slug="poitiers-sec", name="Poitiers")
    users: dict[str, User] = {role: member(own_community, role, username=f"sec-{role}") for role in ROLES}
    # The community admin also administers it in the Django admin.
    users[Role.ADMIN].is_staff = True
    users[Role.ADMIN].save(update_fields=["is_staff"])
    own = build_side(slug="poitiers-sec", marker="", crew=list(users.values()))
    other = build_side(slug="autre-sec", marker=LEAK)
    return World(own=own, other=other, users=users)
