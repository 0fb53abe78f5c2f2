"""Checks every write service runs before it saves: territory, model rules, constraints."""

import datetime as dt
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.contrib.gis.geos.prepared import PreparedGeometry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from accounts.models import Community
from core.geometry import transformed
from core.per_thread import per_thread

# Geometries may stick out of the territory by this much (m², m; storage SRID in metres):
# boundaries digitised at another scale never match to the millimetre.
TERRITORY_TOLERANCE = 1.0


TERRITORIES_PER_THREAD = 16


def _territory(community_id: int, updated_at: dt.datetime) -> tuple[GEOSGeometry, PreparedGeometry]:
    """A community's territory and its prepared form, kept per thread and community version.

    The caller's community comes without its territory (accounts/selectors.py: a town's outline
    can hold thousands of vertices); loading, parsing and preparing it again on every report
    sent from the field cost a round trip and the preparation. `updated_at` moves with every
    territory change (accounts/services.py community_set_territory saves it). Per thread: a
    prepared geometry builds its index lazily and is not safe to share between threads.
    """

    def load() -> tuple[GEOSGeometry, PreparedGeometry]:
        territory = Community.objects.only("territory").get(pk=community_id).territory
        return territory, territory.prepared

    return per_thread("territories", (community_id, updated_at), load, limit=TERRITORIES_PER_THREAD)


def ensure_within_territory(*, community: Community, geom: GEOSGeometry, field: str = "geometry") -> None:
    """Raise a ValidationError on `field` unless `geom` lies inside the community's territory."""
    territory: GEOSGeometry
    if "territory" in community.__dict__ or community.updated_at is None:
        territory = community.territory
        prepared = territory.prepared
    else:
        territory, prepared = _territory(community.pk, community.updated_at)
    if territory.srid is not None and geom.srid != territory.srid:
        geom = transformed(geom, territory.srid)
    if prepared.covers(geom):
        return
    outside = geom.difference(territory)
    if geom.dims == 2 and outside.area <= TERRITORY_TOLERANCE:
        return
    if geom.dims == 1 and outside.length <= TERRITORY_TOLERANCE:
        return
    raise ValidationError({field: [f"The geometry is outside the territory of {community.name}."]})


def ensure_same_community(*, community: Community, field: str, obj: Any, label: str | None = None) -> None:
    """Raise unless the related object `obj` (if any) belongs to `community`."""
    if obj is not None and getattr(obj, "community_id", None) != community.pk:
        raise ValidationError({field: [f"unknown {label or field}: not in your community."]})


def save_checked(obj: models.Model, *, fields: list[str] | None = None) -> None:
    """full_clean (field rules and database constraints), then save; never an IntegrityError.

    Errors on the model's `geom` are reported as `geometry`, the name clients send.

    The database's own CHECK and UNIQUE constraints are checked by the save itself, and only a
    refused save runs Django's validation of them (for the same field-named 400 as before):
    validating them first cost three round trips per constraint (a savepoint, a SELECT, its
    release; 15 of a field-app report's 33), on every write (benchmarks/load.py's profile).
    A foreign key to an instance already loaded is not looked up again either (the database's
    deferred foreign key still stands behind it).
    """
    cache = obj._state.fields_cache
    loaded = [
        f.name
        for f in obj._meta.concrete_fields
        if f.is_relation and (related := cache.get(f.name)) is not None and related.pk is not None
        and not related._state.adding and related.pk == getattr(obj, f.attname)
    ]  # fmt: skip
    try:
        obj.full_clean(exclude=loaded, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(_rename_geom(exc)) from exc
    try:
        with transaction.atomic():
            obj.save(update_fields=fields) if fields else obj.save()
    except IntegrityError as exc:
        try:
            obj.full_clean(validate_unique=True, validate_constraints=True)
        except ValidationError as invalid:
            raise ValidationError(_rename_geom(invalid)) from exc
        # A race past the checks (two clients at once): still a 400, not a 500.
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"Conflicts with existing data ({exc.__cause__})."]}
        ) from exc


def _rename_geom(exc: ValidationError) -> dict[str, list[str]]:
    errors = exc.message_dict
    if "geom" in errors:
        errors["geometry"] = errors.pop("geom")
    return errors


def ensure_code_free(obj: models.Model) -> None:
    """A category-like row's `code` is unique in its community: a clash is a 400 on `code`
    (asset categories and work categories alike), before the database's constraint would raise."""
    manager = type(obj)._default_manager
    clash = manager.filter(community_id=getattr(obj, "community_id"), code=getattr(obj, "code"))  # noqa: B009
    if obj.pk is not None:
        clash = clash.exclude(pk=obj.pk)
    if clash.exists():
        raise ValidationError({"code": [_("A category with this code already exists.")]})
