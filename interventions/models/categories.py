from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community


class Category(models.Model):
    """A kind of work or report (tag, fly-tipping, damaged furniture…); Open311's service."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="categories")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    # Typical time on site (minutes); routing uses it as the stop's service time.
    service_minutes = models.PositiveIntegerField(_("service time (min)"), default=30)
    # Tag removal feeds the recurrence model; other categories do not.
    is_tag = models.BooleanField(_("graffiti/tag"), default=False)
    public = models.BooleanField(_("open to citizen reports"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "code"], name="category_code_unique"),
            models.CheckConstraint(condition=Q(service_minutes__gt=0), name="category_service_positive"),
        ]

    def __str__(self) -> str:
        return self.name
