"""Asset categories (bench, wall, tree…) of the registry: written by community admins.

A category that assets refer to is never deleted (the foreign key protects it too): it is
deactivated instead, and then takes no new assets (geo/services/assets.py, imports).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Community
from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from geo.models import Asset, AssetCategory

from .validation import ensure_code_free, save_checked

ASSET_CATEGORY_FIELDS = {"code", "name", "kind", "active"}


@transaction.atomic
def asset_category_create(*, community: Community, data: dict[str, Any]) -> AssetCategory:
    unknown = set(data) - ASSET_CATEGORY_FIELDS
    if unknown:
        raise ValueError(f"asset_category_create cannot set {', '.join(sorted(unknown))}")
    category = AssetCategory(community=community, **data)
    ensure_code_free(category)
    save_checked(category)
    audit_record(obj=category, action=AuditAction.CREATE)
    return category


@transaction.atomic
def asset_category_update(*, category: AssetCategory, data: dict[str, Any]) -> AssetCategory:
    unknown = set(data) - ASSET_CATEGORY_FIELDS
    if unknown:
        raise ValueError(f"asset_category_update cannot change {', '.join(sorted(unknown))}")
    before = snapshot(category)
    for name, value in data.items():
        setattr(category, name, value)
    ensure_code_free(category)
    save_checked(category)
    audit_record(obj=category, action=AuditAction.UPDATE, changes=diff(before, snapshot(category)))
    return category


@transaction.atomic
def asset_category_delete(*, category: AssetCategory) -> None:
    if Asset.objects.filter(category=category).exists():
        raise ValidationError(
            {"__all__": [_("Assets of the registry belong to this category: deactivate it instead.")]}
        )
    audit_record(obj=category, action=AuditAction.DELETE, changes={"code": [category.code, None]})
    category.delete()


def ensure_category_active(*, category: AssetCategory) -> None:
    """A new asset (or one moved to another category) only goes into an active category."""
    if not category.active:
        raise ValidationError(
            {"category": [_("The asset category %(code)s is inactive.") % {"code": category.code}]}
        )
