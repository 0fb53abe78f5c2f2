"""create_community, create_user and demo_logins, as an administrator uses them."""

from io import StringIO

import geopandas
import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import box

from accounts.models import Community, Membership, Role, User
from tests.factories import CommunityFactory, member


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# Poitiers centre in WGS84 and Lambert-93.
POITIERS_LONLAT = (0.3404, 46.5802)
POITIERS_L93 = Point(497_000, 6_613_000, srid=2154)


@pytest.mark.django_db
def test_create_community_from_a_bbox():
    out = run(
        "create_community", "poitiers", "--name", "Ville de Poitiers", "--bbox", "0.28,46.54,0.40,46.62"
    )
    community = Community.objects.get(slug="poitiers")
    assert community.name == "Ville de Poitiers"
    assert community.territory.srid == 2154
    assert community.territory.contains(POITIERS_L93)
    assert 60 < community.territory.area / 1e6 < 90  # ~9 km × 9 km
    assert "created" in out


@pytest.mark.django_db
def test_create_community_from_a_file_in_another_crs(tmp_path):
    # Two disjoint squares in Web Mercator (EPSG:3857): the territory is their union.
    centre = geopandas.GeoSeries([ShapelyPoint(POITIERS_LONLAT)], crs=4326).to_crs(3857)[0]
    squares = [box(centre.x - 2000, centre.y - 2000, centre.x, centre.y),
               box(centre.x + 1000, centre.y, centre.x + 3000, centre.y + 2000)]  # fmt: skip
    path = tmp_path / "territoire.gpkg"
    geopandas.GeoDataFrame({"nom": ["a", "b"]}, geometry=squares, crs=3857).to_file(path)
    run("create_community", "grand-poitiers", "--name", "Grand Poitiers", "--territory", str(path))
    territory = Community.objects.get(slug="grand-poitiers").territory
    assert territory.srid == 2154
    assert len(territory) == 2
    # 2 km squares in Web Mercator are ~1.38 km in reality at 46.6° N (scale 1/cos φ).
    assert 2 * 1.2 < territory.area / 1e6 < 2 * 2.2


@pytest.mark.django_db
def test_create_community_reports_bad_inputs(tmp_path):
    with pytest.raises(CommandError, match="minlon"):
        run("create_community", "x", "--name", "X", "--bbox", "0.4,46.5,0.3,46.6")  # min > max
    with pytest.raises(CommandError, match="four numbers"):
        run("create_community", "x", "--name", "X", "--bbox", "0.3,46.5,0.4")
    missing = tmp_path / "absent.geojson"
    with pytest.raises(CommandError, match="absent.geojson: no such file"):
        run("create_community", "x", "--name", "X", "--territory", str(missing))
    points = tmp_path / "points.geojson"
    geopandas.GeoDataFrame(geometry=[ShapelyPoint(POITIERS_LONLAT)], crs=4326).to_file(points)
    with pytest.raises(CommandError, match=r"points.geojson: feature 1 is a Point, expected a polygon"):
        run("create_community", "x", "--name", "X", "--territory", str(points))
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not geojson")
    with pytest.raises(CommandError, match="garbage.geojson: cannot read"):
        run("create_community", "x", "--name", "X", "--territory", str(garbage))
    assert not Community.objects.filter(slug="x").exists()
    CommunityFactory(slug="taken")
    with pytest.raises(CommandError, match="slug"):
        run("create_community", "taken", "--name", "X", "--bbox", "0.3,46.5,0.4,46.6")


@pytest.mark.django_db
def test_create_user_with_a_password_from_the_environment(community, monkeypatch):
    monkeypatch.setenv("RONDE_USER_PASSWORD", "brigade-nord-2025")
    out = run("create_user", "alice", "--community", community.slug, "--role", "dispatcher",
              "--email", "alice@example.org", "--password-env", "RONDE_USER_PASSWORD")  # fmt: skip
    user = User.objects.get(username="alice")
    assert user.check_password("brigade-nord-2025")
    assert user.email == "alice@example.org"
    assert Membership.objects.get(user=user, community=community).role == Role.DISPATCHER
    assert "dispatcher" in out


@pytest.mark.django_db
def test_create_user_prompts_twice(community, monkeypatch):
    answers = iter(["brigade-sud-2025", "brigade-sud-2025"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("create_user", "bob", "--community", community.slug, "--role", "agent")
    assert User.objects.get(username="bob").check_password("brigade-sud-2025")

    answers = iter(["brigade-sud-2025", "something-else"])
    with pytest.raises(CommandError, match="differ"):
        run("create_user", "carol", "--community", community.slug, "--role", "agent")
    assert not User.objects.filter(username="carol").exists()


@pytest.mark.django_db
def test_create_user_rejects_bad_input(community, monkeypatch):
    monkeypatch.setenv("RONDE_USER_PASSWORD", "brigade-nord-2025")
    with pytest.raises(CommandError, match="unknown role 'mayor'"):
        run("create_user", "dan", "--community", community.slug, "--role", "mayor",
            "--password-env", "RONDE_USER_PASSWORD")  # fmt: skip
    with pytest.raises(CommandError, match="no community with slug 'nowhere'"):
        run("create_user", "dan", "--community", "nowhere", "--role", "agent",
            "--password-env", "RONDE_USER_PASSWORD")  # fmt: skip
    with pytest.raises(CommandError, match="UNSET_VARIABLE"):
        run("create_user", "dan", "--community", community.slug, "--role", "agent",
            "--password-env", "UNSET_VARIABLE")  # fmt: skip
    monkeypatch.setenv("RONDE_USER_PASSWORD", "1234")
    with pytest.raises(CommandError, match="Password refused"):
        run("create_user", "dan", "--community", community.slug, "--role", "agent",
            "--password-env", "RONDE_USER_PASSWORD")  # fmt: skip
    assert not User.objects.filter(username="dan").exists()


@pytest.mark.django_db
def test_demo_logins_lists_the_four_users_and_the_password(settings):
    settings.RONDE_DEMO_PASSWORD = "mot-de-passe-demo"
    settings.RONDE_DEMO_OPEN311_KEY = "cle-open311-demo"
    demo = CommunityFactory(slug="demo", name="Ronde-sur-Clain")
    for role in ("admin", "dispatcher", "agent", "viewer"):
        member(demo, role, username=f"demo-{role}")
    out = run("demo_logins")
    assert "http://127.0.0.1:8000" in out
    for role in ("admin", "dispatcher", "agent", "viewer"):
        line = next(line for line in out.splitlines() if f"demo-{role} " in line)
        assert "mot-de-passe-demo" in line
    assert "/admin/" in out
    assert "/api/docs/" in out
    assert "cle-open311-demo" in out


@pytest.mark.django_db
def test_demo_logins_without_a_demo_prints_no_password(settings, community):
    settings.RONDE_DEMO_PASSWORD = "mot-de-passe-demo"
    out = run("demo_logins")
    assert "demo-admin" not in out
    assert "mot-de-passe-demo" not in out
    assert "No demo community" in out
    assert "Open311" not in out


@pytest.mark.django_db
def test_create_community_west_of_greenwich_takes_negative_coordinates_as_typed():
    """Lorient: argparse took the leading minus for an option ("expected one argument")."""
    out = run("create_community", "lorient", "--name", "Lorient", "--bbox", "-3.42,47.71,-3.33,47.78")
    lorient = Community.objects.get(slug="lorient")
    centre = Point(-3.37, 47.75, srid=4326).transform(2154, clone=True)
    assert lorient.territory.contains(centre)
    assert "created" in out
    run("create_community", "ouest", "--name", "Ouest", "--bbox=-3.42,47.71,-3.33,47.78")
    with pytest.raises(CommandError, match="--bbox"):
        run("create_community", "x", "--name", "X", "--bbox", "-3.33,47.71,-3.42,47.78")  # W > E
