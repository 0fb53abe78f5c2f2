from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import CommunityScopedAdmin, CommunityScopedInline
from interventions.models import MissionOccurrence, MissionTemplate


class OccurrenceInline(CommunityScopedInline):
    model = MissionOccurrence
    community_path = "template__community"
    extra = 0
    readonly_fields = ("date", "mission", "created_at")
    can_delete = False


@admin.register(MissionTemplate)
class MissionTemplateAdmin(CommunityScopedAdmin):
    """Recurring missions (every Monday in the station district…); the command
    create_recurring_missions turns them into the day's draft missions."""

    list_display = ("name", "community", "team", "days", "every_weeks", "starts_on", "ends_on", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    inlines = [OccurrenceInline]

    @admin.display(description=_("days of the week"))
    def days(self, obj: MissionTemplate) -> str:
        return ", ".join(obj.weekday_names())
