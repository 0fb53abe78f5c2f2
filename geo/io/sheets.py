"""An .xlsx workbook's time of day, kept where GDAL's XLSX driver would drop it.

A workbook stores a date and time as a number (days since 1899-12-30, the time as the
fraction) and says how to show it with a number format. GDAL reads such a cell as a datetime
only when its format writes the hour with two letters ("dd/mm/yyyy hh:mm"); with one ("dd/mm/
yyyy h:mm", "yyyy-mm-dd h:mm:ss" as openpyxl writes every datetime, "m/d/yy h:mm" as many
templates have) it reads a date and the time is lost, even as text (FIELD_TYPES=STRING gives
"2025/03/04"). An intervention ended at 14:30 would be imported at midnight.

`hours_kept` gives GDAL a copy of the workbook whose formats write the hour with two letters:
only how a value is shown changes, never a value. ODS stores dates as ISO text and needs none.
"""

import re
import zipfile
from pathlib import Path

STYLES = "xl/styles.xml"
FORMAT_CODE = re.compile(r'(<numFmt\b[^>]*?\bformatCode=")([^"]*)(")')
# In a format code: a quoted literal ("h" as in 14"h"30), an escaped character, a [bracket]
# (a colour, a locale, [h] elapsed hours), or a run of h's (the hour, any case).
TOKENS = re.compile(r"&quot;.*?&quot;|\\.|\[[^\]]*\]|[hH]+")


def _two_letter_hours(code: str) -> str:
    return TOKENS.sub(lambda m: "hh" if m.group(0) in ("h", "H") else m.group(0), code)


def hours_kept(path: Path, folder: Path) -> Path | None:
    """A copy of the workbook at `path`, in `folder`, whose hours GDAL reads; None when the
    workbook needs none (or is not a zip GDAL could read anyway: GDAL then says what is wrong)."""
    try:
        with zipfile.ZipFile(path) as workbook:
            styles = workbook.read(STYLES).decode("utf-8")
            fixed = FORMAT_CODE.sub(lambda m: m.group(1) + _two_letter_hours(m.group(2)) + m.group(3), styles)
            if fixed == styles:
                return None
            copy = folder / path.name
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
                for item in workbook.infolist():
                    out.writestr(item, fixed if item.filename == STYLES else workbook.read(item.filename))
    except (OSError, KeyError, UnicodeDecodeError, zipfile.BadZipFile):
        return None
    return copy
