"""Read Base Adresse Nationale CSV files, streamed row by row (a département is ~1 M rows).

Layouts recognised by their header (`;`-separated, UTF-8 with or without BOM, LF or CRLF,
plain or gzip-compressed; a Latin-1 file is read as such):

- BAN "Adresses ODbL" (2014–2020): id;nom_voie;id_fantoir;numero;rep;code_insee;code_post;
  alias;nom_ld;nom_afnor;libelle_acheminement;x;y;lon;lat;nom_commune
- BAN "adresses-<dep>.csv" (2020–): id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;
  nom_commune;…;x;y;lon;lat;…
- BAL 1.3 / 1.4 (Base Adresse Locale, https://aitf-sig-topo.github.io/voies-adresses/):
  uid_adresse;cle_interop;commune_insee;commune_nom;commune_deleguee_insee;
  commune_deleguee_nom;voie_nom;lieudit_complement_nom;numero;suffixe;position;x;y;long;lat;
  cad_parcelles;source;date_der_maj;certification_commune (1.4 adds id_ban_* columns)

Columns read (first name found wins): id = cle_interop | id | id_ban_adresse | uid_adresse;
numero; suffix = rep | suffixe; street = nom_voie | voie_nom (else nom_ld |
lieudit_complement_nom); postcode = code_post | code_postal; commune = nom_commune |
commune_nom | libelle_acheminement; INSEE = code_insee | commune_insee; position = lon/lat
(or long/lat, WGS84) else x/y (EPSG:2154, Lambert-93, or the `srid` given).

Numbers ≥ 5000 are skipped and counted: the BAN writes them for positions without a real
number (e.g. a lieu-dit or a street's centre: 5000–5999 and BAL's 99999). A BAL writes one
line per position of an address, all with its cle_interop: the first line is kept
(geo/sql/address_positions.sql), the others counted. A line with no position at all (lon/lat
and x/y empty, as a BAL being completed has) is skipped and named: it cannot be placed on a
map, and refusing the commune's whole file for it would leave the community with none.
"""

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from .errors import ImportFileError

PLACEHOLDER_NUMBER = 5000

COLUMNS: dict[str, tuple[str, ...]] = {
    "ban_id": ("cle_interop", "id", "id_ban_adresse", "uid_adresse"),
    "number": ("numero",),
    "suffix": ("rep", "suffixe"),
    "street": ("nom_voie", "voie_nom"),
    "place": ("nom_ld", "lieudit_complement_nom"),
    "postcode": ("code_post", "code_postal"),
    "commune": ("nom_commune", "commune_nom", "libelle_acheminement"),
    "insee": ("code_insee", "commune_insee"),
    "lon": ("lon", "long"),
    "lat": ("lat",),
    "x": ("x",),
    "y": ("y",),
}
REQUIRED = ("number", "street", "insee")
NUMBER = re.compile(r"^\d{1,6}$")


@dataclass
class AddressRow:
    line: int  # 1-based line of the file (the header is line 1)
    ban_id: str
    number: int
    suffix: str
    street: str
    postcode: str
    commune: str
    insee: str
    lon: float | None
    lat: float | None
    x: float | None
    y: float | None


@dataclass
class AddressFile:
    layout: str  # "bal" or "ban"
    columns: dict[str, str]  # our name -> the file's column
    rows: Iterator[AddressRow]
    errors: list[str]  # "line 12: numero 'abc' is not a number", filled while `rows` is read
    placeholders: list[int]  # one-item counter of the skipped numbers ≥ 5000
    unplaced: list[int]  # the lines skipped for having no position, in file order


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as raw:
        magic = raw.read(2)
    # Closed by the rows iterator (or on a header error): the file is streamed, not slurped.
    binary: IO[bytes] = cast(IO[bytes], gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb"))  # noqa: SIM115
    try:
        sample = binary.read(65536)
        binary.seek(0)
    except (OSError, EOFError) as exc:
        binary.close()
        raise ImportFileError(path.name, f"cannot be read: {exc}") from exc
    try:
        sample.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # A truncated last character of the sample is still UTF-8.
        encoding = "utf-8-sig" if exc.start >= len(sample) - 3 else "cp1252"
    return io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline="")


def _float(value: str) -> float | None:
    value = value.strip().replace(",", ".")
    if not value:
        return None
    return float(value)


def read_addresses(
    path: str | Path, *, progress: Callable[[int], None] | None = None, every: int = 50_000
) -> AddressFile:
    """Open `path` and check its header; the rows are read lazily by iterating `.rows`.

    Raises ImportFileError (file name + problem) for an unreadable file or a header that is
    not a BAN/BAL layout. Row problems are appended to `.errors` while iterating.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(path.name, "no such file")
    text = _open_text(path)
    try:
        header_line = text.readline()
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        text.close()
        raise ImportFileError(path.name, f"cannot be read: {exc}") from exc
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    header = [h.strip().strip('"').lower() for h in next(csv.reader([header_line], delimiter=delimiter))]
    columns: dict[str, str] = {}
    for ours, names in COLUMNS.items():
        found = next((n for n in names if n in header), None)
        if found:
            columns[ours] = found
    missing = [COLUMNS[c][0] for c in REQUIRED if c not in columns]
    has_point = ("lon" in columns and "lat" in columns) or ("x" in columns and "y" in columns)
    if missing or not has_point:
        if not has_point:
            missing.append("lon;lat or x;y")
        text.close()
        raise ImportFileError(
            path.name,
            f"not a Base Adresse Nationale / Base Adresse Locale CSV: missing column(s) {', '.join(missing)} "
            f"(line 1 has: {', '.join(header[:20])})",
        )
    layout = "bal" if "voie_nom" in header else "ban"
    index = {ours: header.index(theirs) for ours, theirs in columns.items()}
    errors: list[str] = []
    placeholders = [0]
    unplaced: list[int] = []

    def rows() -> Iterator[AddressRow]:
        reader = csv.reader(text, delimiter=delimiter)
        line = 1
        try:
            for line, record in enumerate(reader, start=2):
                if progress and line % every == 0:
                    progress(line)
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                if len(record) < len(header):
                    errors.append(f"line {line}: {len(record)} fields, the header has {len(header)}")
                    continue

                def get(name: str, record: list[str] = record) -> str:
                    return record[index[name]].strip() if name in index else ""

                number_text = get("number")
                if not NUMBER.match(number_text):
                    errors.append(f"line {line}: {columns['number']} {number_text!r} is not a number")
                    continue
                number = int(number_text)
                if number >= PLACEHOLDER_NUMBER:
                    placeholders[0] += 1
                    continue
                street = get("street") or get("place")
                if not street:
                    errors.append(f"line {line}: {columns['street']} is empty")
                    continue
                try:
                    lon, lat, x, y = (_float(get(n)) for n in ("lon", "lat", "x", "y"))
                except ValueError:
                    errors.append(f"line {line}: a coordinate is not a number")
                    continue
                if lon is not None and lat is not None:
                    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        errors.append(f"line {line}: lon/lat {lon}, {lat} out of range")
                        continue
                elif x is None or y is None:
                    unplaced.append(line)
                    continue
                yield AddressRow(
                    line=line,
                    ban_id=get("ban_id")[:64],
                    number=number,
                    suffix=get("suffix").lower()[:16],
                    street=street[:200],
                    postcode=get("postcode")[:5],
                    commune=get("commune")[:100],
                    insee=get("insee")[:5],
                    lon=lon,
                    lat=lat,
                    x=x,
                    y=y,
                )
        except (csv.Error, UnicodeDecodeError, OSError, EOFError) as exc:
            errors.append(f"line {line + 1}: cannot be read ({exc})")
        finally:
            text.close()

    return AddressFile(
        layout=layout,
        columns=columns,
        rows=rows(),
        errors=errors,
        placeholders=placeholders,
        unplaced=unplaced,
    )
