"""The interventions' import/export targets (reports, interventions, missions) for geo/io.

Registered by InterventionsConfig.ready(); the upsert SQL lives in interventions/sql/.
"""

from core.sql import sql_path
from geo.io.mapping import OFFENSIVE, PRIORITY, SUPPORT
from geo.io.targets import (
    ExportSpec,
    FieldSpec,
    ImportTarget,
    TargetSpec,
    register_export_target,
    register_import_target,
)

from .models import (
    Category,
    Intervention,
    InterventionStatus,
    Method,
    Mission,
    Report,
    ReportSource,
    ReportStatus,
)

COMMON_EXPORT = (("ronde_id", "pk"), ("external_id", "external_id"))


def _status(status: type[ReportStatus] | type[InterventionStatus]) -> FieldSpec:
    return FieldSpec(
        "status", "choice", ("statut", "etat"), tuple(status.values), labels=tuple(status.choices)
    )


REPORTS = TargetSpec(
    "reports",
    "point",
    (
        _status(ReportStatus),
        FieldSpec("source", "choice", (), tuple(ReportSource.values), labels=tuple(ReportSource.choices)),
        FieldSpec("description", "text", ("commentaire", "comment", "message", "details")),
        FieldSpec("address", "text", ("adresse", "addr"), max_length=300),
        SUPPORT,
        OFFENSIVE,
        PRIORITY,
        FieldSpec("reported_at", "datetime", ("date", "date_signalement", "created", "datetime")),
    ),
    False,
    True,
)
INTERVENTIONS = TargetSpec(
    "interventions",
    "point",
    (
        _status(InterventionStatus),
        SUPPORT,
        FieldSpec("surface_m2", "decimal", ("surface", "m2"), low=0.01, high=999999.99),
        FieldSpec("method", "choice", ("methode",), tuple(Method.values), labels=tuple(Method.choices)),
        FieldSpec("product", "text", ("produit",), max_length=120),
        OFFENSIVE,
        PRIORITY,
        FieldSpec("notes", "text", ("remarques", "observations", "commentaire")),
        FieldSpec("planned_date", "date", ("date_prevue", "date")),
        FieldSpec("started_at", "datetime", ("debut", "start")),
        FieldSpec("ended_at", "datetime", ("fin", "end", "date_fin")),
    ),
    False,
    True,
)


def register() -> None:
    register_import_target(ImportTarget(REPORTS, sql_path(__file__, "import_upsert_reports.sql"), Category))
    register_import_target(
        ImportTarget(INTERVENTIONS, sql_path(__file__, "import_upsert_interventions.sql"), Category)
    )
    report_columns = (
        *COMMON_EXPORT,
        ("category", "category__code"),
        ("status", "status"),
        ("source", "source"),
        ("description", "description"),
        ("address", "address"),
        ("support", "support"),
        ("offensive", "offensive"),
        ("priority", "priority"),
        ("reported_at", "reported_at"),
    )
    register_export_target(
        ExportSpec("reports", Report, "geom", report_columns, "reported_at", True, True, False)
    )
    intervention_columns = (
        *COMMON_EXPORT,
        ("category", "category__code"),
        ("status", "status"),
        ("support", "support"),
        ("surface_m2", "surface_m2"),
        ("method", "method"),
        ("product", "product"),
        ("offensive", "offensive"),
        ("priority", "priority"),
        ("notes", "notes"),
        ("planned_date", "planned_date"),
        ("started_at", "started_at"),
        ("ended_at", "ended_at"),
    )
    register_export_target(
        ExportSpec(
            "interventions", Intervention, "geom", intervention_columns, "planned_date", True, True, False
        )
    )
    mission_columns = (
        ("ronde_id", "pk"),
        ("name", "name"),
        ("date", "date"),
        ("team", "team__name"),
        ("status", "status"),
        ("notes", "notes"),
    )
    register_export_target(
        ExportSpec("missions", Mission, "zone", mission_columns, "date", False, True, False)
    )
