"""Factories that build realistic data around Poitiers (Lambert-93, metres)."""

from typing import cast

import factory
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from accounts.models import Community, Membership, Role, Team, User
from geo.models import Address, Asset, AssetCategory, AssetKind, StreetSegment, Zone
from interventions.models import Category, Intervention, Mission, Report

POITIERS = (497_000.0, 6_613_000.0)  # Poitiers centre, Lambert-93
PASSWORD = "correct-horse-battery"


def square(cx: float, cy: float, half: float, srid: int = 2154) -> Polygon:
    """An axis-aligned square of side 2*half metres around (cx, cy)."""
    polygon = Polygon.from_bbox((cx - half, cy - half, cx + half, cy + half))
    polygon.srid = srid
    return polygon


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Commune {n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    # A 10 km square around Poitiers centre.
    territory = factory.LazyFunction(lambda: MultiPolygon(square(*POITIERS, 5_000), srid=2154))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    role = Role.DISPATCHER


def member(community: Community, role: str = Role.DISPATCHER, **kwargs) -> User:
    """A new user with `role` in `community`."""
    user = cast(User, UserFactory(**kwargs))
    Membership.objects.create(community=community, role=role, user=user)
    return user


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Brigade {n}")
    depot = factory.LazyFunction(lambda: Point(*POITIERS, srid=2154))


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Quartier {n}")
    geom = factory.LazyFunction(lambda: MultiPolygon(square(*POITIERS, 500), srid=2154))


class AssetCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssetCategory

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"Catégorie {n}")
    kind = AssetKind.FURNITURE


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    community = factory.SubFactory(CommunityFactory)
    category = factory.SubFactory(AssetCategoryFactory, community=factory.SelfAttribute("..community"))
    name = factory.Sequence(lambda n: f"Banc {n}")
    geom = factory.LazyFunction(lambda: Point(*POITIERS, srid=2154))


class StreetSegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StreetSegment

    community = factory.SubFactory(CommunityFactory)
    name = "Rue de la Cathédrale"
    highway = "residential"
    # 100 m eastwards from the centre.
    geom = factory.LazyFunction(lambda: LineString(POITIERS, (POITIERS[0] + 100, POITIERS[1]), srid=2154))
    length_m = factory.LazyAttribute(lambda o: o.geom.length)


def street_key(street: str, insee: str) -> str:
    """Address.street_key as import_addresses writes it (the database's geo_street_key)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT geo_street_key(%s)", [street])
        return f"{cursor.fetchone()[0]}|{insee}"


class AddressFactory(factory.django.DjangoModelFactory):
    """A BAN address; after creating some, geo.services.addresses.street_names_refresh()
    makes their streets searchable."""

    class Meta:
        model = Address

    community = factory.SubFactory(CommunityFactory)
    number = 1
    street = "Rue de la Cathédrale"
    postcode = "86000"
    commune = "Poitiers"
    insee = "86194"
    ban_id = factory.LazyAttribute(
        lambda o: f"{o.insee}_{abs(hash(o.street)) % 10000:04d}_{o.number:05d}{o.suffix}"
    )
    label = factory.LazyAttribute(lambda o: f"{o.number}{' ' + o.suffix if o.suffix else ''} {o.street}")
    street_key = factory.LazyAttribute(lambda o: street_key(o.street, o.insee))
    geom = factory.LazyFunction(lambda: Point(*POITIERS, srid=2154))
    suffix = ""


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"tag-{n}")
    name = factory.Sequence(lambda n: f"Tag {n}")
    is_tag = True


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    community = factory.SubFactory(CommunityFactory)
    category = factory.SubFactory(CategoryFactory, community=factory.SelfAttribute("..community"))
    description = "Tag sur le mur de l'école"
    geom = factory.LazyFunction(lambda: Point(*POITIERS, srid=2154))


class InterventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervention

    community = factory.SubFactory(CommunityFactory)
    category = factory.SubFactory(CategoryFactory, community=factory.SelfAttribute("..community"))
    geom = factory.LazyFunction(lambda: Point(*POITIERS, srid=2154))


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mission

    community = factory.SubFactory(CommunityFactory)
    team = factory.SubFactory(TeamFactory, community=factory.SelfAttribute("..community"))
    date = factory.Faker("date_this_year")
    zone = factory.LazyFunction(lambda: square(*POITIERS, 300))
