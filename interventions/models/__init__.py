from .categories import Category
from .interventions import Intervention, InterventionStatus, Method, NotDoneReason
from .missions import (
    MISSION_HEAVY_FIELDS,
    Mission,
    MissionStatus,
    MissionStop,
    RoutingProfile,
    StopStatus,
    job_address,
    without_heavy_mission_fields,
)
from .optimizations import (
    ACTIVE_OPTIMIZATION_STATUSES,
    MissionOptimization,
    OptimizationStage,
    OptimizationStatus,
)
from .partners import Open311Request, PartnerApiKey
from .photos import Photo, PhotoKind, PhotoStatus, PhotoThumbnail
from .recurrence import MissionOccurrence, MissionTemplate, Weekday
from .reports import Report, ReportSource, ReportStatus

__all__ = [
    "MISSION_HEAVY_FIELDS",
    "without_heavy_mission_fields",
    "ACTIVE_OPTIMIZATION_STATUSES",
    "MissionOptimization",
    "OptimizationStage",
    "OptimizationStatus",
    "Category",
    "Intervention",
    "InterventionStatus",
    "Method",
    "Mission",
    "MissionOccurrence",
    "MissionStatus",
    "MissionStop",
    "MissionTemplate",
    "NotDoneReason",
    "Open311Request",
    "PartnerApiKey",
    "Photo",
    "PhotoKind",
    "PhotoStatus",
    "PhotoThumbnail",
    "Report",
    "ReportSource",
    "ReportStatus",
    "RoutingProfile",
    "StopStatus",
    "Weekday",
    "job_address",
]
