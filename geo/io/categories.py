"""Category values of an imported column: matched to the community's categories by code or
name, translated by a `value;code` CSV (--category-map), or created (--create-categories).

A file whose column holds values no category matches is refused with ONE error that lists
the distinct values and how many features carry each, not one line per feature.
"""

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _

from .errors import ImportFileError
from .mapping import categories_of, clean_text
from .targets import ImportTarget

SHOWN_VALUES = 30  # distinct unknown values listed in the error (the rest are counted)


def read_category_map(path: str | Path) -> dict[str, str]:
    """{value (lower-cased): code} from `value;code` lines (UTF-8 or Latin-1; a header is allowed)."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(path.name, "file not found (--category-map)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    mapping: dict[str, str] = {}
    for number, row in enumerate(csv.reader(text.splitlines(), delimiter=";"), 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise ImportFileError(path.name, f"line {number}: expected 'value;code', got {';'.join(row)!r}")
        value, code = row[0].strip(), row[1].strip()
        if number == 1 and code.lower() in ("code", "categorie", "catégorie", "category"):
            continue  # a header line
        mapping[value.lower()] = code
    return mapping


def column_values(frame: Any, column: str) -> Counter:
    """Distinct non-empty values of `column` (as cleaned text) and their feature counts."""
    return Counter(v for v in (clean_text(x) for x in frame[column].tolist()) if v)


def resolve_category_values(
    file: str,
    *,
    target: ImportTarget,
    community_id: int,
    column: str,
    values: Counter,
    categories: dict[str, int],
    category_map: dict[str, str],
    create: bool,
) -> list[str]:
    """Extend `categories` ({key: id}) so every value of the column has an id; returns the
    "code (name)" of the categories created. Raises ImportFileError when values stay unknown."""
    for value, code in category_map.items():
        if code.lower() not in categories:
            raise ImportFileError(
                file,
                f"--category-map: '{value}' → unknown category code '{code}'",
                _("category mapping: '%(value)s' → unknown category code '%(code)s'")
                % {"value": value, "code": code},
            )
        categories[value] = categories[code.lower()]
    unknown = Counter({v: n for v, n in values.items() if v.lower() not in categories})
    if not unknown:
        return []
    _refuse_inactive(file, target=target, community_id=community_id, unknown=unknown)
    if not create:
        shown = ", ".join(f"'{v}' ({n})" for v, n in unknown.most_common(SHOWN_VALUES))
        more = f" and {len(unknown) - SHOWN_VALUES} more" if len(unknown) > SHOWN_VALUES else ""
        raise ImportFileError(
            file,
            f"{len(unknown)} value(s) of column '{column}' match no category code or name "
            f"(features per value): {shown}{more}. Create them with --create-categories, or map "
            "them to existing codes with --category-map FILE.csv ('value;code' lines)",
        )
    assert target.category_model is not None
    manager = target.category_model._default_manager
    taken = {
        code.lower() for code in manager.filter(community_id=community_id).values_list("code", flat=True)
    }
    created = []
    for value in sorted(unknown, key=str.lower):
        if value.lower() in categories:  # same value in another case, just created
            continue
        base = slugify(value)[:60] or "categorie"
        code, n = base, 2
        while code in taken:
            code, n = f"{base}-{n}", n + 1
        taken.add(code)
        name = value[:200]
        category = manager.create(community_id=community_id, code=code, name=name)
        categories[value.lower()] = category.pk
        created.append(f"{code} ({name})")
    return created


def _refuse_inactive(file: str, *, target: ImportTarget, community_id: int, unknown: Counter) -> None:
    """Values that name an inactive category (by code or name): one clear error, never a
    second category created beside it."""
    assert target.category_model is not None
    inactive: dict[str, str] = {}
    for code, name in categories_of(target.category_model, community_id, active=False).values_list(
        "code", "name"
    ):
        inactive.setdefault(name.strip().lower(), code)
        inactive[code.lower()] = code
    named = {v: inactive[v.lower()] for v in unknown if v.lower() in inactive}
    if named:
        shown = ", ".join(f"'{v}' → {code}" for v, code in sorted(named.items()))
        raise ImportFileError(
            file,
            f"{len(named)} value(s) of the category column name inactive categories: {shown}. "
            "Reactivate them (administration, categories) or map the values to other codes "
            "with --category-map FILE.csv",
            _(
                "%(n)s value(s) of the category column name inactive categories: %(shown)s. "
                "Reactivate them on the categories page of the administration, or choose other categories."
            )
            % {"n": len(named), "shown": shown},
        )
