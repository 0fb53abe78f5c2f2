"""Messages the dispatcher's page builds in JavaScript, translated on the server (gettext)
and handed over as JSON (json_script). %(name)s placeholders are filled in the browser."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from interventions.models import InterventionStatus, MissionStatus, StopStatus


def board_strings() -> dict[str, Any]:
    return {
        "report": _("Report"),
        "intervention": _("Intervention"),
        "mission": _("Mission"),
        "statuses": {"report": _("Open report"), **{s.value: str(s.label) for s in InterventionStatus}},
        "mission_statuses": {s.value: str(s.label) for s in MissionStatus},
        "stop_states": {
            **{s.value: str(s.label) for s in StopStatus},
            "in_progress": _("In progress"),
        },
        "priority_n": _("priority %(n)s"),
        "age_n": _("%(n)s days old"),
        "jobs_count": _("%(n)s jobs match the filters."),
        "jobs_capped": _("%(n)s jobs match the filters; the first %(max)s are listed: narrow the filters."),
        "show_on_map": _("Show on map"),
        "add_to_mission": _("Add to the mission"),
        "remove": _("Remove"),
        "no_missions": _("No mission this day."),
        "stops_n": _("%(n)s stops"),
        "zone_none": _("No zone yet."),
        "zone_loading": _("Looking for jobs in the zone…"),
        "zone_summary": _("In the zone: %(r)s open reports and %(i)s interventions."),
        "zone_outside": _("Part of the zone is outside the community."),
        "fit": _(
            "%(n)s of %(total)s jobs fit in the round (%(start)s–%(end)s, %(agents)s round(s)); "
            "%(u)s stay in the pool, free for another mission."
        ),
        "left_in_pool": _("The jobs left out are back in the pool."),
        "estimate": _("≈ %(n)s of %(total)s jobs fit in the day (%(agents)s agent(s), %(start)s–%(end)s)."),
        "estimate_no_depot": _("Estimated from the middle of the zone: the team has no depot."),
        "estimate_ways": _(
            "For the %(u)s others: one more agent (≈ %(a)s of %(total)s), a shift ending at %(end)s "
            "(≈ %(h)s of %(total)s), or leave them in the pool, free for another mission."
        ),
        "estimate_ways_agent": _(
            "For the %(u)s others: one more agent (≈ %(a)s of %(total)s), or leave them in the pool, "
            "free for another mission."
        ),
        "pool": _("back in the pool"),
        "photo_n": _("Photo %(n)s (%(kind)s)"),
        "preview_booked": _("%(n)s already planned in another mission (left out)."),
        "preview_count": _("%(n)s of %(total)s jobs will be in the mission."),
        "draw_rectangle_help": _(
            "Press on the map with the mouse or a finger and drag to draw the rectangle."
        ),
        "draw_polygon_help": _(
            "Click or tap each corner on the map; a tap on the first corner, a double tap, Enter or "
            "“Finish the polygon” closes the zone."
        ),
        "working": _("Creating the mission…"),
        "created": _("Mission %(id)s created as a draft."),
        "optimising": _("Optimising the round on the street network…"),
        "optimised_result": _("Round optimised: %(n)s stops in order, %(u)s left out."),
        "optimise_queued": _("Optimisation queued: it starts as soon as the calculation server is free."),
        "optimise_running": _("This mission is already being optimised: its progress is shown."),
        "stops_changed": _("Stops changed: optimise the round again."),
        "not_optimised": _("The round is not optimised yet."),
        "no_stops": _("This mission has no stops."),
        "summary": _("Round: %(d)s, %(t)s in all; %(n)s stops in order, %(u)s left out."),
        "progress": _(
            "Done %(done)s · not done %(not_done)s · in progress %(in_progress)s · to do %(planned)s"
        ),
        "bulk_count": _("%(n)s interventions selected."),
        "bulk_done": _("%(n)s interventions updated, %(s)s skipped."),
        "conflicts": {
            "team_booked": _("The team already has mission %(mission)s that day."),
            "zone_partly_outside": _("Part of the zone is outside the community."),
        },
    }


def board_urls() -> dict[str, str]:
    return {
        "board": reverse("dispatch:api-board"),
        "preview": reverse("dispatch:api-preview"),
        "fit_estimate": reverse("dispatch:api-fit-estimate"),
        "bulk": reverse("dispatch:api-bulk"),
        "progress": reverse("dispatch:api-progress", args=[0]),
        "sheet": reverse("dispatch:sheet", args=[0]),
        "sheet_pdf": reverse("dispatch:sheet-pdf", args=[0]),
        "missions": reverse("mission-list"),
        "optimization": reverse("mission-optimization", args=[0]),
    }
