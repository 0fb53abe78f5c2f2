"""Which source column feeds which field of the target, and how each value is cleaned.

The mapping is automatic by name (field name or a common French/English alias, case and
accents ignored) and can be overridden with `--map field=column`. Columns that feed no field
are kept in `attributes` (assets, zones), so nothing from the community's registry is lost.
"""

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo.models import Support

from .errors import ImportFileError
from .targets import FieldSpec, TargetSpec, import_target, import_target_names

INTEGRAL = re.compile(r"^\s*([-+]?\d+)\.0*\s*$")  # "86000.000000" -> "86000"
TRUE = {"1", "true", "t", "yes", "y", "oui", "o", "vrai", "x"}
FALSE = {"0", "false", "f", "no", "n", "non", "faux", ""}


class BadValue(ValueError):
    """A value that does not fit its field; the message says which and why (`shown`: the same
    in the user's language, for the web import)."""

    def __init__(self, problem: str, shown: str = "") -> None:
        super().__init__(problem)
        self.shown = shown or problem


NAME = FieldSpec("name", "text", ("nom", "libelle", "label", "title", "titre", "designation"), max_length=200)
SUPPORT = FieldSpec(
    "support", "choice", ("type_support",), tuple(Support.values), labels=tuple(Support.choices)
)
PRIORITY = FieldSpec("priority", "int", ("priorite",), low=1, high=3)
OFFENSIVE = FieldSpec("offensive", "bool", ("injurieux", "offensant"))


def target_spec(into: str) -> TargetSpec:
    """The fields an import into `into` can fill (targets are registered by their apps)."""
    target = import_target(into)
    if target is None:
        names = ", ".join(import_target_names())
        raise ImportFileError("", f"unknown target '{into}' ({names})")
    return target.spec


NAME_PREFIXES = ("nom_", "name_", "libelle_", "label_", "designation_")


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def resolve_mapping(
    file: str,
    spec: TargetSpec,
    columns: list[str],
    explicit: dict[str, str],
    external_id: str | None,
) -> tuple[dict[str, str], str | None]:
    """({field: column}, external id column). Explicit choices must exist; others are guessed."""
    known = {f.name for f in spec.fields} | ({"category"} if spec.needs_category else set())
    for field_name, column in explicit.items():
        if field_name not in known:
            raise ImportFileError(
                file,
                f"unknown field '{field_name}' for {spec.name} (fields: {', '.join(sorted(known))})",
                _("unknown field '%(field)s' for %(target)s (fields: %(fields)s)")
                % {"field": field_name, "target": spec.name, "fields": ", ".join(sorted(known))},
            )
        if column not in columns:
            raise ImportFileError(
                file,
                f"missing column '{column}' for field '{field_name}' (columns: {', '.join(columns)})",
                _("missing column '%(column)s' for field '%(field)s' (columns: %(columns)s)")
                % {"column": column, "field": field_name, "columns": ", ".join(columns)},
            )
    if external_id and external_id not in columns:
        raise ImportFileError(
            file,
            f"missing column '{external_id}' for the external id (columns: {', '.join(columns)})",
            _("missing column '%(column)s' for the external id (columns: %(columns)s)")
            % {"column": external_id, "columns": ", ".join(columns)},
        )
    folded = {_fold(c): c for c in columns}
    mapping = dict(explicit)
    taken = set(explicit.values()) | ({external_id} if external_id else set())
    guesses = [(f.name, (f.name, *f.aliases)) for f in spec.fields]
    if spec.needs_category:
        guesses.append(("category", ("category", "categorie", "category_code", "code_categorie")))
    for field_name, candidates in guesses:
        if field_name in mapping:
            continue
        for candidate in candidates:
            # Shapefile field names are cut at 10 characters (reported_at -> reported_a).
            found = folded.get(_fold(candidate)) or folded.get(_fold(candidate)[:10])
            if found and found not in taken:
                mapping[field_name] = found
                taken.add(found)
                break
    if "name" in known and "name" not in mapping:
        # Open-data layers qualify their name column: nom_quartier, nom_voie, libelle_site…
        prefixed = [c for f, c in folded.items() if f.startswith(NAME_PREFIXES) and c not in taken]
        if prefixed:
            mapping["name"] = prefixed[0]
            taken.add(prefixed[0])
    if external_id is None:
        # Our own exports carry `external_id`: a re-import of them updates in place.
        external_id = folded.get("external_id") or folded.get("external_i") or folded.get("id_externe")
        if external_id in taken:
            external_id = None
    return mapping, external_id


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a missing scalar
        return False


def clean_text(value: Any, max_length: int | None = None) -> str:
    """Text as people expect it: nulls -> "", 86000.0 and "86000.000000" -> "86000"."""
    if is_missing(value):
        return ""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        text = str(int(value))
    elif isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    else:
        text = str(value).strip()
        match = INTEGRAL.match(text)
        if match:
            text = match.group(1)
    if max_length is not None and len(text) > max_length:
        raise BadValue(
            f"longer than {max_length} characters",
            _("longer than %(n)s characters") % {"n": max_length},
        )
    return text


def clean_json(value: Any) -> Any:
    """A value for the JSON `attributes`: native types, integral floats as ints, dates as ISO."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if isinstance(value, dt.datetime | dt.date | np.datetime64):
        return str(np.datetime_as_string(value) if isinstance(value, np.datetime64) else value.isoformat())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return clean_text(value)


def clean_json_column(values: "pd.Series") -> list[Any]:
    """clean_json over a whole column, with fast paths for the common dtypes (100k rows)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return [bool(v) for v in values.tolist()]
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.tolist()
    if pd.api.types.is_float_dtype(values.dtype):
        array = values.to_numpy(dtype=float)
        integral = np.isfinite(array) & (np.mod(array, 1) == 0) & (np.abs(array) < 2**53)
        out: list[Any] = array.tolist()
        for i in np.flatnonzero(integral):
            out[i] = int(array[i])
        for i in np.flatnonzero(np.isnan(array)):
            out[i] = None
        return out
    return [clean_json(v) for v in values.tolist()]


def _parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif hasattr(value, "to_pydatetime"):
        moment = value.to_pydatetime()
    else:
        text = str(value).strip()
        moment = None
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d"):
                try:
                    moment = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if moment is None:
            raise BadValue(
                f"not a date/time: {text[:40]!r}", _("not a date/time: %(text)r") % {"text": text[:40]}
            )
    assert moment is not None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # local time of the community (TIME_ZONE)
    return moment


_LABELS: dict[int, dict[str, str]] = {}  # id(spec) -> {folded label: code}; specs live as long


def _choice_labels(spec: FieldSpec) -> dict[str, str]:
    """A choice's labels in every language of the site, folded, to its code."""
    if id(spec) not in _LABELS:
        labels: dict[str, str] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                labels.update({_fold(str(label)): code for code, label in spec.labels})
        _LABELS[id(spec)] = labels
    return _LABELS[id(spec)]


def clean_value(spec: FieldSpec, value: Any) -> Any:
    """The JSON-ready value for `spec`, or None when empty; BadValue when it does not fit."""
    if spec.kind == "text":
        return clean_text(value, spec.max_length)
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if spec.kind == "choice":
        text = clean_text(value).lower()
        if text in spec.choices:
            return text
        code = _choice_labels(spec).get(_fold(text))
        if code is None:
            raise BadValue(
                f"'{text}' is not one of {', '.join(spec.choices)}",
                _("'%(text)s' is not one of %(choices)s")
                % {"text": text, "choices": ", ".join(spec.choices)},
            )
        return code
    if spec.kind == "bool":
        text = clean_text(value).lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise BadValue(f"'{text}' is not yes/no", _("'%(text)s' is not yes/no") % {"text": text})
    if spec.kind in ("int", "decimal"):
        try:
            # French decimals: "1 234,5" with a plain, no-break or narrow no-break space.
            text = clean_text(value).replace(",", ".")
            number = Decimal(re.sub(r"[ \u00a0\u202f]", "", text))
        except InvalidOperation as exc:
            raise BadValue(
                f"'{value}' is not a number", _("'%(value)s' is not a number") % {"value": value}
            ) from exc
        if (spec.low is not None and number < Decimal(str(spec.low))) or (
            spec.high is not None and number > Decimal(str(spec.high))
        ):
            raise BadValue(
                f"{number} is outside {spec.low:g}–{spec.high:g}",
                _("%(number)s is outside %(low)s–%(high)s")
                % {"number": number, "low": f"{spec.low:g}", "high": f"{spec.high:g}"},
            )
        if spec.kind == "int":
            if number != number.to_integral_value():
                raise BadValue(
                    f"{number} is not a whole number",
                    _("%(number)s is not a whole number") % {"number": number},
                )
            return int(number)
        return str(number.quantize(Decimal("0.01")))
    if spec.kind == "date":
        return _parse_datetime(value).date().isoformat()
    if spec.kind == "datetime":
        return _parse_datetime(value).isoformat()
    raise AssertionError(spec.kind)


def categories_of(model: type[Any], community_id: int, *, active: bool = True) -> Any:
    """The community's categories of `model` that are active (or, `active=False`, inactive);
    a category model without an `active` flag has only active ones."""
    rows = model._default_manager.filter(community_id=community_id)
    if any(f.name == "active" for f in model._meta.fields):
        return rows.filter(active=active)
    return rows if active else rows.none()


def _category_rows(into: str, community_id: int, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Only active categories take imported features (an inactive one keeps what it has)."""
    target = import_target(into)
    if target is None or target.category_model is None:
        return []
    return list(categories_of(target.category_model, community_id).values_list(*fields))


def category_codes(into: str, community_id: int) -> dict[str, int]:
    """Category code (and lower-cased name) -> id, for the target's kind of category."""
    codes: dict[str, int] = {}
    for pk, code, name in _category_rows(into, community_id, ("id", "code", "name")):
        codes.setdefault(name.strip().lower(), pk)
        codes[code.lower()] = pk
    return codes


def category_choices(into: str, community_id: int) -> list[tuple[str, str]]:
    """(code, name) of the categories an import into `into` may use, for forms and messages."""
    return [(code, name) for code, name in _category_rows(into, community_id, ("code", "name"))]
