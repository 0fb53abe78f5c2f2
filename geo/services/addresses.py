"""Load a community's addresses (Base Adresse Nationale) and give every place its address.

`address_import` is all or nothing: the file is read and staged (COPY), every row checked,
and only then are the community's addresses of the file's communes replaced, in one
transaction. After it the search box's street names are rebuilt and every report,
intervention and site whose address was computed (or empty) gets the new nearest address.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql as pgsql

from accounts.models import Community
from core.sql import run_sql, sql_text
from geo.io.addresses import read_addresses
from geo.io.errors import ImportFileError
from geo.models import StreetName, StreetNameSource

COPY_STAGING = (
    "COPY address_staging (line, ban_id, number, suffix, street, postcode, commune, insee, lon, lat, x, y) "
    "FROM STDIN"
)
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"  # geo/sql/
SHOWN_ERRORS = 20
LAMBERT_93 = 2154  # x;y of the BAN and BAL files for metropolitan France


@dataclass
class AddressReport:
    file: str
    layout: str = ""
    rows: int = 0
    kept: int = 0
    outside: int = 0
    replaced: int = 0
    placeholders: int = 0  # numbers >= 5000: positions without a real number, skipped
    extra_positions: int = 0  # a BAL's further lines (positions) of an address: first one kept
    unplaced: list[int] | None = None  # lines skipped for having no position
    streets: int = 0
    network_streets: int = 0
    updated: dict[str, int] | None = None  # table -> rows whose address changed

    def summary(self) -> str:
        updated = ", ".join(f"{table} {n}" for table, n in sorted((self.updated or {}).items()) if n)
        return (
            f"{self.file} ({self.layout.upper()} layout): {self.rows} addresses read, {self.kept} kept, "
            f"{self.outside} outside the territory, {self.placeholders} placeholder numbers (≥ 5000) skipped; "
            + (
                f"{self.extra_positions} further positions of the same addresses skipped (first kept); "
                if self.extra_positions
                else ""
            )
            + (
                f"{len(self.unplaced)} without a position skipped ({_lines(self.unplaced)}); "
                if self.unplaced
                else ""
            )
            + f"{self.replaced} previous addresses replaced; {self.streets} streets from the addresses and "
            f"{self.network_streets} from the street network searchable"
            + (f"; addresses updated: {updated}" if updated else "")
        )


def _lines(lines: list[int], shown: int = 5) -> str:
    more = f", and {len(lines) - shown} more" if len(lines) > shown else ""
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines[:shown])) + more


def address_import(
    *,
    community: Community,
    path: str | Path,
    xy_srid: int = LAMBERT_93,
    progress: Callable[[str, int], None] | None = None,
) -> AddressReport:
    """Replace `community`'s addresses of the communes in `path` with the file's.

    Raises ImportFileError naming the file and the problem (unreadable file, unknown layout,
    the lines with an error, no address inside the territory): nothing is written then.
    """
    path = Path(path)
    source = read_addresses(path, progress=(lambda line: progress("read", line)) if progress else None)
    report = AddressReport(file=path.name, layout=source.layout)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql_text(SQL_DIR / "address_staging.sql"))
            raw: Any = cursor.cursor
            with raw.copy(COPY_STAGING) as copy:
                for row in source.rows:
                    report.rows += 1
                    copy.write_row(
                        (
                            row.line,
                            row.ban_id,
                            row.number,
                            row.suffix,
                            row.street,
                            row.postcode,
                            row.commune,
                            row.insee,
                            row.lon,
                            row.lat,
                            row.x,
                            row.y,
                        )
                    )
        report.placeholders = source.placeholders[0]
        report.unplaced = source.unplaced
        errors = list(source.errors)
        for ban_id, lines in run_sql(SQL_DIR / "address_duplicates.sql"):
            errors.append(f"line {lines[1]}: id {ban_id} already on line {lines[0]}")
        if errors:
            more = f" (and {len(errors) - SHOWN_ERRORS} more)" if len(errors) > SHOWN_ERRORS else ""
            raise ImportFileError(
                path.name,
                f"{len(errors)} line(s) with an error, nothing written{more}:\n  "
                + "\n  ".join(errors[:SHOWN_ERRORS]),
            )
        report.extra_positions = int(run_sql(SQL_DIR / "address_positions.sql")[0][0])
        report.rows -= report.extra_positions
        if report.rows == 0:
            unplaced = f" ({len(source.unplaced)} without a position)" if source.unplaced else ""
            raise ImportFileError(path.name, f"no address in the file{unplaced}, nothing written")
        if progress:
            progress("place", report.rows)
        params = {"community_id": community.pk, "srid": settings.RONDE_SRID, "xy_srid": xy_srid}
        report.replaced = int(run_sql(SQL_DIR / "address_delete.sql", params)[0][0])
        kept, outside = run_sql(SQL_DIR / "address_replace.sql", params)[0]
        report.kept, report.outside = int(kept), int(outside)
        if report.kept == 0:
            raise ImportFileError(
                path.name,
                f"none of its {report.rows} addresses is inside the territory of {community.slug}, nothing written",
            )
        report.streets, report.network_streets = street_names_refresh(community=community)
    if progress:
        progress("addresses", report.kept)
    report.updated = addresses_backfill(community=community)
    return report


def street_names_refresh(*, community: Community) -> tuple[int, int]:
    """Rebuild the search box's streets (from the addresses and the street network).

    Returns (streets from the addresses, streets only in the network). Run after an address or
    a street network import."""
    with transaction.atomic():
        run_sql(SQL_DIR / "street_names_refresh.sql", {"community_id": community.pk})
        names = StreetName.objects.filter(community=community)
        return (
            names.filter(source=StreetNameSource.BAN).count(),
            names.filter(source=StreetNameSource.NETWORK).count(),
        )


def addresses_backfill(*, community: Community) -> dict[str, int]:
    """Recompute the address of the community's rows whose address was computed (or empty).

    The tables are those with a geo_fill_address trigger (each app's migration declares its
    own), so geo never names the tables of the apps above it. Returns table -> rows changed.
    """
    updated: dict[str, int] = {}
    tables = run_sql(SQL_DIR / "address_tables.sql")
    statement = pgsql.SQL(sql_text(SQL_DIR / "address_backfill.sql"))
    for table, computed in tables:
        with transaction.atomic(), connection.cursor() as cursor:
            query = statement.format(table=pgsql.Identifier(table)).as_string(cursor.cursor)
            cursor.execute(query, {"community_id": community.pk, "computed": computed})
            updated[table] = cursor.rowcount
    return updated
