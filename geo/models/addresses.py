from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Community


class AddressField(models.CharField):
    """The human address of a report, intervention or site: written by the caller, or filled by
    PostgreSQL on write (the geo_fill_address trigger) when left empty. Read back on INSERT
    (RETURNING), so the object a service returns already shows it."""

    db_returning = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verbose_name", _("address"))
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        # Also a database default: bulk imports INSERT with raw SQL that does not name it.
        kwargs.setdefault("db_default", "")
        super().__init__(*args, **kwargs)


class Address(models.Model):
    """A postal address of the Base Adresse Nationale (BAN), loaded by `import_addresses`.

    Read by geo_address_near() (the `address` every report, intervention and site carries)
    and by the search box (through its StreetName).
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="addresses")
    # BAN identifier: `id` of the old "Adresses ODbL" layout, `cle_interop` of BAL 1.3.
    ban_id = models.CharField(_("BAN id"), max_length=64, blank=True, default="")
    number = models.PositiveIntegerField(_("number"))
    suffix = models.CharField(_("suffix"), max_length=16, blank=True, default="")  # bis, ter, a…
    street = models.CharField(_("street"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True, default="")
    commune = models.CharField(_("commune"), max_length=100, blank=True, default="")
    insee = models.CharField(_("INSEE code"), max_length=5, blank=True, default="")
    # "12 bis Rue de la Paix": what people read on a stop, a sheet, an Open311 request.
    label = models.CharField(_("label"), max_length=240)
    # geo_street_key(street, commune): joins an address to its StreetName for the search.
    street_key = models.CharField(max_length=320)
    geom = models.PointField(_("position"), srid=settings.RONDE_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        indexes = [
            GistIndex(name="address_geom_gist", fields=["geom"]),
            models.Index(fields=["community", "street_key", "number"], name="address_street_number"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "ban_id"], condition=~Q(ban_id=""), name="address_ban_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class StreetNameSource(models.TextChoices):
    BAN = "ban", _("Address file")
    NETWORK = "network", _("Street network")


class StreetName(models.Model):
    """One street of the community for the search box: a BAN street (with its addresses) or a
    named street of the routing network that the address file lacks. Rebuilt by
    geo.services.addresses.street_names_refresh()."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="street_names")
    name = models.CharField(_("name"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True, default="")
    commune = models.CharField(_("commune"), max_length=100, blank=True, default="")
    source = models.CharField(_("source"), max_length=8, choices=StreetNameSource.choices)
    street_key = models.CharField(max_length=320)
    # geo_street_key(name || ' ' || commune): what the results are ranked on.
    search = models.TextField()
    # geo_street_core(name || ' ' || commune): the distinctive words, trigram-indexed.
    core = models.TextField()
    # Where the search zooms: a point on the street (storage SRID).
    geom = models.PointField(_("position"), srid=settings.RONDE_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("street name")
        verbose_name_plural = _("street names")
        indexes = [
            GinIndex(fields=["core"], opclasses=["gin_trgm_ops"], name="street_name_core_trgm"),
            models.Index(fields=["community", "street_key"], name="street_name_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=StreetNameSource.values), name="street_name_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name
