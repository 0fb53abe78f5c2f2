"""Our workflow seen through Open311: the spec's open/closed plus extended statuses.

The extended names follow FixMyStreet's Open311 adapter (lower-case), so a FixMyStreet
instance and most GeoReport clients understand them; `status` itself stays open/closed.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from interventions.models import InterventionStatus, NotDoneReason, ReportStatus

OPEN = "open"
CLOSED = "closed"

# extended status -> spec status. The order is the documented list in README.md.
EXTENDED = {
    "open": OPEN,  # received, nobody has looked at it yet
    "investigating": OPEN,  # accepted; an intervention exists but is not planned
    "action_scheduled": OPEN,  # an intervention is planned for a date
    "in_progress": OPEN,  # an agent is on site
    "fixed": CLOSED,  # the intervention is done
    "no_further_action": CLOSED,  # the agent found nothing to do (already clean)
    "not_councils_responsibility": CLOSED,  # rejected by the dispatcher
    "duplicate": CLOSED,  # merged into another report
}


@dataclass(frozen=True)
class Open311Status:
    status: str
    extended: str
    notes: str


def open311_status(
    *,
    report_status: str,
    intervention_status: str | None,
    not_done_reason: str = "",
    planned_date: object = None,
) -> Open311Status:
    """The status a partner sees, from the report and its latest intervention."""
    if report_status == ReportStatus.DUPLICATE:
        return Open311Status(CLOSED, "duplicate", _("Already reported: merged with an earlier report."))
    if report_status == ReportStatus.REJECTED:
        return Open311Status(
            CLOSED, "not_councils_responsibility", _("Not handled by the council's field services.")
        )
    if intervention_status == InterventionStatus.DONE:
        return Open311Status(CLOSED, "fixed", _("The work has been done."))
    if intervention_status == InterventionStatus.NOT_DONE:
        if not_done_reason == NotDoneReason.ALREADY_CLEAN:
            return Open311Status(CLOSED, "no_further_action", _("Nothing left to do on site."))
        return Open311Status(OPEN, "investigating", _("The team could not do the work yet."))
    if intervention_status == InterventionStatus.IN_PROGRESS:
        return Open311Status(OPEN, "in_progress", _("A team is working on it."))
    if intervention_status == InterventionStatus.SCHEDULED or (
        intervention_status == InterventionStatus.TODO and planned_date
    ):
        when = f" ({planned_date})" if planned_date else ""
        return Open311Status(OPEN, "action_scheduled", _("The work is scheduled.") + when)
    if intervention_status is not None or report_status == ReportStatus.ACCEPTED:
        return Open311Status(OPEN, "investigating", _("Accepted; the work will be planned."))
    return Open311Status(OPEN, "open", _("Received."))
