from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community, Team

from .missions import Mission, RoutingProfile


class Weekday(models.IntegerChoices):
    # Python's date.weekday() numbering.
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class MissionTemplate(models.Model):
    """A recurring mission: on each of `weekdays`, every `every_weeks` weeks from `starts_on`,
    the same team goes round the same zone (e.g. every Monday in the station district)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="mission_templates")
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="mission_templates")
    zone = models.PolygonField(_("zone"), srid=settings.RONDE_SRID)
    # Python's date.weekday() numbers, sorted, no repeats (e.g. [0, 3]: Mondays and Thursdays).
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices), verbose_name=_("days of the week"), size=7
    )
    every_weeks = models.PositiveSmallIntegerField(_("every n weeks"), default=1)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    profile = models.CharField(
        _("travel mode"), max_length=8, choices=RoutingProfile.choices, default=RoutingProfile.DRIVE
    )
    open_round = models.BooleanField(_("open round"), default=False)
    shift_start = models.TimeField(_("shift start"), default="08:00")
    shift_end = models.TimeField(_("shift end"), default="16:00")
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("recurring mission")
        verbose_name_plural = _("recurring missions")
        ordering = ["weekdays", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekdays__contained_by=list(range(7))) & Q(weekdays__len__gte=1),
                name="template_weekdays_range",
            ),
            models.CheckConstraint(condition=Q(every_weeks__gte=1), name="template_every_weeks_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="template_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weekday(self) -> int:
        """The first day of the week: the API's original single-day field (kept stable)."""
        return self.weekdays[0]

    def weekday_names(self) -> list[str]:
        return [str(Weekday(day).label) for day in self.weekdays]


class MissionOccurrence(models.Model):
    """The mission a template produced for one date: makes the daily run idempotent."""

    template = models.ForeignKey(MissionTemplate, on_delete=models.CASCADE, related_name="occurrences")
    date = models.DateField(_("date"))
    mission = models.ForeignKey(
        Mission, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recurring mission occurrence")
        verbose_name_plural = _("recurring mission occurrences")
        constraints = [
            models.UniqueConstraint(fields=["template", "date"], name="occurrence_once_per_date"),
        ]
