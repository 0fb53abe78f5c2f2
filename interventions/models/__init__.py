from .categories import Category
from .interventions import Intervention, InterventionStatus, Method, NotDoneReason
from .missions import Mission, MissionStatus
from .photos import Photo, PhotoKind
from .reports import Report, ReportSource, ReportStatus

__all__ = [
    "Category",
    "Intervention",
    "InterventionStatus",
    "Method",
    "Mission",
    "MissionStatus",
    "NotDoneReason",
    "Photo",
    "PhotoKind",
    "Report",
    "ReportSource",
    "ReportStatus",
]
