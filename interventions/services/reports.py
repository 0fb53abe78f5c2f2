"""Reports (signalements): created by agents, dispatchers, citizens and partners."""

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Community, User
from audit.models import AuditAction
from audit.services import audit_record, diff, snapshot
from geo.models import Asset
from geo.services.validation import ensure_same_community, ensure_within_territory, save_checked
from interventions.models import Category, Report, ReportSource, ReportStatus

REPORT_FIELDS = {
    "category",
    "status",
    "source",
    "description",
    "address",
    "support",
    "offensive",
    "priority",
    "asset",
    "duplicate_of",
    "external_id",
    "reported_at",
    "geom",
}


def _check_relations(community: Community, data: Mapping[str, Any]) -> None:
    for field in ("category", "asset", "duplicate_of"):
        if field in data:
            ensure_same_community(
                community=community,
                field=field,
                obj=data[field],
                label="report" if field == "duplicate_of" else None,
            )


@transaction.atomic
def report_create(
    *,
    community: Community,
    category: Category,
    geom: Point,
    reporter: User | None = None,
    source: str = ReportSource.STAFF,
    status: str = ReportStatus.NEW,
    description: str = "",
    address: str = "",
    support: str = "",
    offensive: bool = False,
    priority: int = 2,
    asset: Asset | None = None,
    duplicate_of: Report | None = None,
    external_id: str = "",
    client_uuid: uuid.UUID | None = None,
    reported_at: dt.datetime | None = None,
    key_checked: bool = False,
) -> Report:
    """Create a report; a replay with the same `client_uuid` returns the first one unchanged.

    key_checked: the caller holds the key's lock and found no report under it (the field
    app's sync, agent/services/sync.py): not looked up a second time."""
    if client_uuid is not None and not key_checked:
        existing = Report.objects.select_for_update().filter(client_uuid=client_uuid).first()
        if existing is not None:
            if existing.community_id != community.pk:
                raise ValidationError({"client_uuid": [_("This client_uuid is already used.")]})
            return existing
    _check_relations(community, {"category": category, "asset": asset, "duplicate_of": duplicate_of})
    ensure_within_territory(community=community, geom=geom)
    report = Report(
        community=community,
        category=category,
        geom=geom,
        reporter=reporter,
        source=source,
        status=status,
        description=description,
        address=address,
        support=support,
        offensive=offensive,
        priority=priority,
        asset=asset,
        duplicate_of=duplicate_of,
        external_id=external_id,
        client_uuid=client_uuid,
        reported_at=reported_at or timezone.now(),
    )
    save_checked(report)
    audit_record(obj=report, action=AuditAction.CREATE)
    return report


@transaction.atomic
def report_update(*, report: Report, data: Mapping[str, Any]) -> Report:
    """Change the given fields of `report` (names as on the model; others are refused)."""
    unknown = set(data) - REPORT_FIELDS
    if unknown:
        raise ValueError(f"report_update cannot change {', '.join(sorted(unknown))}")
    community = report.community
    _check_relations(community, data)
    if data.get("duplicate_of") is not None and data["duplicate_of"].pk == report.pk:
        raise ValidationError({"duplicate_of": [_("A report cannot duplicate itself.")]})
    if "geom" in data:
        ensure_within_territory(community=community, geom=data["geom"])
    before = snapshot(report)
    for name, value in data.items():
        setattr(report, name, value)
    save_checked(report)
    audit_record(obj=report, action=AuditAction.UPDATE, changes=diff(before, snapshot(report)))
    return report


@transaction.atomic
def report_delete(*, report: Report) -> None:
    # Interventions made from it keep existing; their `report` becomes null. The trail keeps
    # the report's last values.
    audit_record(
        obj=report, action=AuditAction.DELETE, changes={k: [v, None] for k, v in snapshot(report).items()}
    )
    report.delete()
