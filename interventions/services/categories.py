"""Work categories (what reports and interventions are about; Open311's services).

Written by the community's administrators. A category that reports or interventions refer
to is never deleted (their history would lose its meaning): it is deactivated instead.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Community
from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from geo.services.validation import ensure_code_free
from interventions.models import Category, Intervention, Report

CATEGORY_FIELDS = {"code", "name", "description", "service_minutes", "is_tag", "public", "active"}


def _save(category: Category) -> None:
    ensure_code_free(category)
    category.full_clean(validate_constraints=False)
    category.save()


@transaction.atomic
def category_create(*, community: Community, data: dict[str, Any]) -> Category:
    unknown = set(data) - CATEGORY_FIELDS
    if unknown:
        raise ValueError(f"category_create cannot set {', '.join(sorted(unknown))}")
    category = Category(community=community, **data)
    _save(category)
    audit_record(obj=category, action=AuditAction.CREATE)
    return category


@transaction.atomic
def category_update(*, category: Category, data: dict[str, Any]) -> Category:
    unknown = set(data) - CATEGORY_FIELDS
    if unknown:
        raise ValueError(f"category_update cannot change {', '.join(sorted(unknown))}")
    before = snapshot(category)
    for name, value in data.items():
        setattr(category, name, value)
    _save(category)
    audit_record(obj=category, action=AuditAction.UPDATE, changes=diff(before, snapshot(category)))
    return category


def category_in_use(*, category: Category) -> bool:
    # Soft-deleted interventions count: they can be restored and still name the category.
    return (
        Report.objects.filter(category=category).exists()
        or Intervention.all_objects.filter(category=category).exists()
    )


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete an unused category; one that reports or interventions name is refused."""
    if category_in_use(category=category):
        raise ValidationError(
            {"__all__": [_("This category is used by reports or interventions: deactivate it instead.")]}
        )
    audit_record(obj=category, action=AuditAction.DELETE, changes={"code": [category.code, None]})
    category.delete()
