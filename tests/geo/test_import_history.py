"""History on day one: past interventions from a spreadsheet (.csv in French, .xlsx, .ods)
go in with `--into interventions` and show at once in the dashboards and the heatmap: the
import attributes sites (bulk writes send no signal) and tiles are purged by triggers."""

import datetime as dt
import io
import re
import zipfile
from io import StringIO

import numpy as np
import pandas as pd
import pyogrio
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from accounts.models import Role
from geo.models import Asset
from interventions.models import Intervention, InterventionStatus
from interventions.services.taxonomy import community_default_categories_create
from tests.factories import member
from tests.geo.geodata_files import lonlat
from tests.tiles.helpers import at, tile_of

pytestmark = pytest.mark.django_db

# Six removals on one wall (within the site radius) and two on another, March 2024.
SPOTS = [(0, 0)] * 6 + [(400, 0)] * 2
DAYS = [dt.date(2024, 3, d) for d in (4, 6, 11, 13, 18, 20, 5, 19)]


def _rows() -> list[dict]:
    rows = []
    for i, ((dx, dy), day) in enumerate(zip(SPOTS, DAYS, strict=True)):
        lon, lat = lonlat(dx + (i % 3) * 0.5, dy)
        rows.append(
            {
                "ref": f"H{i:03d}",
                "Date": day,
                "longitude": lon,
                "latitude": lat,
                "catégorie": "Tags / graffitis",
                "statut": "done",
                "support": "wall",
                "surface": 1.5 + i,
            }  # fmt: skip
        )
    return rows


def french_csv(path):
    """;-separated, dates dd/mm/yyyy, decimal commas, Latin-1 as Excel writes it."""
    lines = ["ref;Date;longitude;latitude;catégorie;statut;support;surface"]
    for r in _rows():
        lines.append(
            ";".join(
                [
                    r["ref"],
                    r["Date"].strftime("%d/%m/%Y"),
                    f"{r['longitude']:.7f}".replace(".", ","),
                    f"{r['latitude']:.7f}".replace(".", ","),
                    r["catégorie"],
                    r["statut"],
                    r["support"],
                    f"{r['surface']:.1f}".replace(".", ","),
                ]
            )  # fmt: skip
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def workbook(path, driver):
    frame = pd.DataFrame(_rows())
    frame["Date"] = pd.to_datetime(frame["Date"])  # typed date cells
    pyogrio.write_dataframe(frame, path, driver=driver, layer="Historique")
    return path


@pytest.fixture
def tag(community):
    community_default_categories_create(community=community)
    return community


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("historique.csv", french_csv),
        ("historique.xlsx", lambda p: workbook(p, "XLSX")),
        ("historique.ods", lambda p: workbook(p, "ODS")),
    ],
    ids=["csv", "xlsx", "ods"],
)
def test_history_spreadsheets_import_and_show_at_once(tag, community, client, tmp_path, name, make):
    path = make(tmp_path / name)
    out = StringIO()
    call_command(
        "import_geodata", str(path), "--community", community.slug, "--into", "interventions",
        "--map", "category=catégorie", "--map", "ended_at=Date", "--map", "surface_m2=surface",
        "--external-id", "ref", stdout=out,
    )  # fmt: skip
    assert "8 created" in out.getvalue(), out.getvalue()
    done = Intervention.objects.filter(community=community, status=InterventionStatus.DONE)
    assert done.count() == 8
    first = done.get(external_id="H000")
    assert timezone_local_date(first.ended_at) == dt.date(2024, 3, 4)  # 04/03/2024 is 4 March
    assert float(first.surface_m2) == 1.5  # "1,5"
    # Sites attributed in the import: two walls, six removals on one.
    assert done.filter(asset__isnull=True).count() == 0
    sites = sorted(done.values_list("asset", flat=True))
    assert len(set(sites)) == 2 and max(sites.count(s) for s in set(sites)) == 6
    assert "sites:" in out.getvalue()

    client.force_login(member(community, Role.VIEWER))
    page = client.get("/dashboards/", {"period": "month", "date_from": "2024-03-01"}).content.decode()
    kpi = re.search(r'data-kpi="cleanings">.*?kpi-value">([^<]+)<', page, re.S)
    assert kpi and kpi.group(1).strip() == "8"
    z, x, y = tile_of(at(), 15)
    png = client.get(f"/tiles/heatmap/{z}/{x}/{y}.png", {"date_from": "2024-03-01", "date_to": "2024-03-31"})
    assert png.status_code == 200
    assert np.asarray(Image.open(io.BytesIO(png.content)).convert("RGBA"))[:, :, 3].any()


def timezone_local_date(moment):
    from django.utils import timezone

    return timezone.localtime(moment).date()


def test_a_bad_row_writes_nothing_not_even_sites(tag, community, tmp_path):
    path = french_csv(tmp_path / "historique.csv")
    text = path.read_bytes().decode("cp1252").replace("18/03/2024", "31/02/2024")  # no such day
    path.write_bytes(text.encode("cp1252"))
    out = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_geodata", str(path), "--community", community.slug, "--into", "interventions",
            "--map", "category=catégorie", "--map", "ended_at=Date", stdout=out,
        )  # fmt: skip
    assert "31/02/2024" in out.getvalue()
    assert not Intervention.objects.filter(community=community).exists()
    assert not Asset.objects.filter(community=community).exists()


@pytest.mark.parametrize(
    "date_format",
    ["yyyy-mm-dd h:mm:ss", "dd/mm/yyyy h:mm", "dd/mm/yyyy\\ h&quot;h&quot;mm"],
    ids=["openpyxl", "french", "quoted-h"],
)
def test_an_xlsx_datetime_keeps_its_time_of_day_whatever_its_hour_format(
    tag, community, tmp_path, date_format
):
    # openpyxl writes every datetime "yyyy-mm-dd h:mm:ss"; people type "dd/mm/yyyy h:mm" or
    # 14"h"30. GDAL read a one-letter hour as a date: the time was lost (ended at midnight).
    rows = _rows()[:2]
    rows[0]["Date"] = dt.datetime(2024, 3, 4, 14, 30)
    rows[1]["Date"] = dt.datetime(2024, 3, 6, 8, 15)
    written = tmp_path / "gdal.xlsx"
    pyogrio.write_dataframe(pd.DataFrame(rows), written, driver="XLSX", layer="Historique")
    path = tmp_path / "historique.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(path, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                styles = data.decode()
                # GDAL writes its datetimes "DD/MM/YYYY\ HH:MM:SS": the format the test is about instead.
                assert 'formatCode="DD/MM/YYYY\\ HH:MM:SS"' in styles
                data = styles.replace(
                    'formatCode="DD/MM/YYYY\\ HH:MM:SS"', f'formatCode="{date_format}"'
                ).encode()
            out.writestr(item, data)
    out = StringIO()
    call_command(
        "import_geodata", str(path), "--community", community.slug, "--into", "interventions",
        "--map", "category=catégorie", "--map", "ended_at=Date", "--external-id", "ref", stdout=out,
    )  # fmt: skip
    assert "2 created" in out.getvalue(), out.getvalue()
    ended = {
        i.external_id: timezone_localtime(i.ended_at)
        for i in Intervention.objects.filter(community=community)
    }
    assert ended == {
        "H000": (dt.date(2024, 3, 4), dt.time(14, 30)),
        "H001": (dt.date(2024, 3, 6), dt.time(8, 15)),
    }


def timezone_localtime(moment):
    from django.utils import timezone

    local = timezone.localtime(moment)
    return local.date(), local.time()
