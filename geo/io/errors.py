"""Errors and the report of an import: each problem names the file, the feature and the reason."""

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# An absolute path (GDAL's /vsizip/… included) as GDAL and Python write them into messages:
# "'/srv/ronde/var/media/imports/4/…/a.zip/b.shp' does not exist", "ERROR parsing kml /…/x.kml".
# A path starts a word (not "http://host/…"); GDAL may double the slash after /vsizip/.
_PATH = re.compile(r"(?<![\w:/.])(?:/vsi[a-z0-9_]+/)?(?:/+[^/\s'\"(),;:]+)*/+([^/\s'\"(),;:]+)")


def without_paths(text: str) -> str:
    """`text` with every absolute path cut to its last part: the server's layout stays private
    (DEBUG or not), the file name still tells people which file."""
    return _PATH.sub(r"\1", text)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, unknown layer, missing column…)."""

    def __init__(self, file: str, problem: str, shown: str = "") -> None:
        problem = without_paths(problem)
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem
        # The same problem in the user's language and without command-line flags, for the web
        # import (`problem` is the command's wording); empty: `problem` is shown.
        self.shown = without_paths(shown) or problem


class Note(str):
    """Something a reader assumed or repaired about the whole file ("read as Latin-1"), or why
    it could not read one row ("no readable coordinates…", Source.row_problems).

    The string itself is the command's wording (English, with its flags); `shown` is the same
    in the user's language for the web import, as ImportFileError.shown.
    """

    shown: str

    def __new__(cls, text: str, shown: str = "") -> "Note":
        # `shown` has a default: copy and pickle (dataclasses.asdict deep-copies) call
        # Note(text), then restore the instance's attributes.
        note = super().__new__(cls, text)
        note.shown = shown or text
        return note


# Severities: an "error" aborts the whole import (nothing is written); a "skipped" feature
# is left out and reported (e.g. outside the territory); a "note" says what was repaired.
ERROR, SKIPPED, NOTE = "error", "skipped", "note"
MAX_STORED_PROBLEMS = 200_000  # per job, in its JSON report (~100 bytes each)


@dataclass
class Problem:
    index: int | None  # 0-based position of the feature in the layer (None: the whole file)
    feature_id: str  # the external id (or "") so people find the feature in their GIS
    problem: str
    severity: str = ERROR
    shown: str = ""  # for the web import: the user's language (ImportFileError.shown)

    def describe(self, file: str) -> str:
        where = "" if self.index is None else f" feature #{self.index}"
        ident = f" (id {self.feature_id})" if self.feature_id else ""
        return f"{file}:{where}{ident}: {self.problem}" if where else f"{file}: {self.problem}"


@dataclass
class ImportReport:
    file: str
    into: str
    layer: str | None = None
    crs: str = ""
    geometry_types: list[str] = field(default_factory=list)
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    repaired: int = 0
    dry_run: bool = False
    created_categories: list[str] = field(default_factory=list)  # "code (name)"
    # Distinct values of the mapped category column and their feature counts (the web
    # preview's mapping step offers one choice per value).
    category_values: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(
        self, index: int | None, feature_id: str, problem: str, severity: str = ERROR, shown: str = ""
    ) -> None:
        self.problems.append(Problem(index, feature_id, problem, severity, shown))

    def lines(self, limit: int = 50) -> list[str]:
        """Human-readable problem lines, errors first, at most `limit` (+ a count of the rest)."""
        ordered = sorted(self.problems, key=lambda p: {ERROR: 0, SKIPPED: 1, NOTE: 2}.get(p.severity, 3))
        out = [f"[{p.severity}] {p.describe(self.file)}" for p in ordered[:limit]]
        if len(ordered) > limit:
            out.append(f"… and {len(ordered) - limit} more")
        return out

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["errors"] = len(self.errors)
        # Every problem: the report downloads whole as CSV from the web import.
        data["problems"] = [asdict(p) for p in self.problems[:MAX_STORED_PROBLEMS]]
        data["lines"] = self.lines()
        return data
