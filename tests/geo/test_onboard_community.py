"""onboard_community on the real BAN extract and a district layer: one summary, and a second
run duplicates nothing."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Community, Membership
from geo.models import Address, StreetName, Zone
from tests.geo.test_import_addresses import BAN_54
from tests.real_data import real_file

pytestmark = pytest.mark.django_db(transaction=True)


def districts_file(tmp_path):
    # Two districts of Landres (WGS84), as an open-data portal exports them.
    features = [
        {
            "type": "Feature",
            "properties": {"nom": name, "code": code},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[w, 49.30], [e, 49.30], [e, 49.34], [w, 49.34], [w, 49.30]]],
            },
        }
        for name, code, w, e in (("Ouest", "Q1", 5.78, 5.82), ("Est", "Q2", 5.82, 5.85))
    ]
    path = tmp_path / "quartiers.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_onboarding_twice_gives_the_same_town(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LANDRES_ADMIN_PASSWORD", "Un-mot-de-passe-solide-2026")
    args = [
        "landres",
        "--name=Landres",
        "--bbox=5.77,49.30,5.86,49.34",
        f"--addresses={real_file(BAN_54)}",
        f"--districts={districts_file(tmp_path)}",
        "--districts-id=code",
        "--admin=sig.landres",
        "--admin-email=sig@landres.example",
        "--admin-password-env=LANDRES_ADMIN_PASSWORD",
    ]
    call_command("onboard_community", *args)
    out = capsys.readouterr().out
    assert "Onboarding of 'landres'" in out and "addresses" in out and "620 kept" in out
    community = Community.objects.get(slug="landres")
    counts = (
        Address.objects.filter(community=community).count(),
        Zone.objects.filter(community=community).count(),
        StreetName.objects.filter(community=community).count(),
        Membership.objects.filter(community=community, role="admin").count(),
    )
    assert counts[0] == 620 and counts[1] == 2 and counts[2] > 10 and counts[3] == 1
    call_command("onboard_community", *args)
    out = capsys.readouterr().out
    assert "already exists" in out
    assert (
        Address.objects.filter(community=community).count(),
        Zone.objects.filter(community=community).count(),
        StreetName.objects.filter(community=community).count(),
        Membership.objects.filter(community=community, role="admin").count(),
    ) == counts


def test_a_failed_step_is_named_and_keeps_what_was_done(tmp_path):
    bad = tmp_path / "adresses.csv"
    bad.write_text("id;nom\n1;x\n")
    with pytest.raises(CommandError, match=r"step 'addresses' failed.*adresses.csv: not a Base Adresse"):
        call_command(
            "onboard_community",
            "landres2",
            "--name=Landres",
            "--bbox=5.77,49.30,5.86,49.34",
            f"--addresses={bad}",
        )
    assert Community.objects.filter(slug="landres2").exists()
    assert not Address.objects.exists()


def test_negative_bbox_as_typed_on_the_command_line(capsys):
    from django.core.management import ManagementUtility

    ManagementUtility(
        [
            "manage.py",
            "onboard_community",
            "lorient",
            "--name",
            "Lorient",
            "--bbox",
            "-3.42,47.71,-3.33,47.78",
        ]
    ).execute()
    assert Community.objects.filter(slug="lorient").exists()


def needs_create_categories():
    from geo.management.commands.onboard_community import command_options

    if "create_categories" not in command_options("geo", "import_geodata"):
        pytest.skip(
            "import_geodata --create-categories is not in this version yet (issue 16, categories part)"
        )


def test_assets_and_history_with_their_category_columns(tmp_path, capsys):
    needs_create_categories()
    from geo.models import Asset
    from interventions.models import Intervention

    assets = tmp_path / "mobilier.geojson"
    assets.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": f"M{i}", "type": kind},
                        "geometry": {"type": "Point", "coordinates": [5.8320 + i * 1e-4, 49.3287]},
                    }
                    for i, kind in enumerate(["banc", "corbeille", "banc"])
                ],
            }
        )
    )
    history = tmp_path / "historique.csv"
    history.write_text(
        "ref;nature;date;lon;lat\nH1;tag;12/03/2025;5,8320;49,3287\nH2;affichage sauvage;13/03/2025;5,8330;49,3290\n",
        encoding="utf-8",
    )
    args = [
        "landres3",
        "--name=Landres",
        "--bbox=5.77,49.30,5.86,49.34",
        f"--addresses={real_file(BAN_54)}",
        f"--assets={assets}",
        "--asset-category-column=type",
        "--assets-id=id",
        f"--history={history}",
        "--history-category-column=nature",
        "--history-id=ref",
    ]
    call_command("onboard_community", *args)
    call_command("onboard_community", *args)  # again: updated by id, nothing duplicated
    community = Community.objects.get(slug="landres3")
    assert Asset.objects.filter(community=community).count() == 3
    assert Intervention.objects.filter(community=community).count() == 2
    # Imported after the addresses: each got the nearest one on write.
    assert "rue baron d'huart" in Asset.objects.get(community=community, external_id="M0").address
