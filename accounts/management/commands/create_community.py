"""`manage.py create_community SLUG --name NAME (--territory PATH | --bbox W,S,E,N) [--no-default-categories]`."""

import re
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import bbox_polygon, community_create


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
    return " ".join(exc.messages)


def territory_from_file(path: Path) -> GEOSGeometry:
    """The union of the polygons of a vector file (any CRS GDAL reads), as a GEOS geometry."""
    import geopandas
    import shapely

    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    try:
        frame = geopandas.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several error types for unreadable files
        raise CommandError(f"{path}: cannot read it as a vector file ({exc}).") from exc
    if len(frame) == 0 or frame.geometry is None:
        raise CommandError(f"{path}: no features with a geometry.")
    if frame.crs is None:
        raise CommandError(f"{path}: the file has no CRS; add a .prj or use a GeoPackage/GeoJSON.")
    polygons = []
    for position, geom in enumerate(frame.geometry):
        if geom is None or geom.is_empty:
            raise CommandError(f"{path}: feature {position + 1} has no geometry.")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise CommandError(f"{path}: feature {position + 1} is a {geom.geom_type}, expected a polygon.")
        polygons.append(shapely.make_valid(geom))
    union = shapely.union_all(polygons)
    epsg = frame.crs.to_epsg()
    if epsg is None:
        return _reproject(union, frame.crs)
    return GEOSGeometry(memoryview(union.wkb), srid=epsg)


def _reproject(geom: Any, crs: Any) -> GEOSGeometry:
    """A CRS without an EPSG code: reproject to WGS84 with pyproj first."""
    import pyproj
    import shapely

    transformer = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    return GEOSGeometry(
        memoryview(shapely.transform(geom, transformer.transform, interleaved=False).wkb), srid=4326
    )


class Command(BaseCommand):
    help = "Create a community (tenant) with its territory from a polygon file or a WGS84 bounding box."

    def add_arguments(self, parser: CommandParser) -> None:
        # West of Greenwich a bbox starts with a minus: `--bbox -3.42,47.71,-3.33,47.78`. argparse
        # takes a token for a value only if it looks like a plain negative number; this parser has
        # no option spelt -<digit>, so any "-<digit>…" token is a value.
        parser._negative_number_matcher = re.compile(r"^-\.?\d")  # type: ignore[attr-defined]
        parser.add_argument("slug", help="Short identifier, e.g. poitiers")
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Ville de Poitiers'")
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--territory", type=Path, help="Polygon file (GeoPackage, GeoJSON, Shapefile…), any CRS"
        )
        where.add_argument(
            "--bbox", help="minlon,minlat,maxlon,maxlat in degrees (WGS84), e.g. -3.42,47.71,-3.33,47.78"
        )
        parser.add_argument(
            "--no-default-categories",
            action="store_true",
            help="start with no work or asset category (default: the editable French taxonomy)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        territory: GEOSGeometry
        if options["bbox"]:
            try:
                minlon, minlat, maxlon, maxlat = (float(v) for v in options["bbox"].split(","))
            except ValueError as exc:
                raise CommandError(
                    f"--bbox: expected four numbers minlon,minlat,maxlon,maxlat, got '{options['bbox']}'."
                ) from exc
            try:
                territory = bbox_polygon(minlon=minlon, minlat=minlat, maxlon=maxlon, maxlat=maxlat)
            except ValidationError as exc:
                raise CommandError(f"--bbox: {_messages(exc)}") from exc
        else:
            territory = territory_from_file(options["territory"])
        try:
            community = community_create(
                slug=options["slug"],
                name=options["name"],
                territory=territory,
                default_categories=not options["no_default_categories"],
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        area_km2 = community.territory.area / 1e6  # storage SRID in metres (Lambert-93 by default)
        self.stdout.write(
            self.style.SUCCESS(
                f"Community '{community.slug}' ({community.name}) created: {area_km2:.2f} km², "
                + (
                    "no category (--no-default-categories)."
                    if options["no_default_categories"]
                    else "with the default work and asset categories (editable)."
                )
            )
        )
