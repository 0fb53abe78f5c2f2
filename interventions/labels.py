"""Human names, in the user's language, for what the data stores as codes: a site's support
("door" reads "Porte"), a removal method ("washing/painting" reads "Nettoyage / Recouvrement par peinture"),
and a site's name (its address or street before a generated name such as "Porte 8400")."""

from django.utils.translation import gettext as _

from geo.models import Support

from .models import Method


def support_label(code: str) -> str:
    """The translated label of a support code; an unknown code is shown as stored."""
    code = (code or "").strip()
    return str(Support(code).label) if code in Support.values else code


def method_label(code: str) -> str:
    """The translated label of a method code; several methods ("washing/painting") each named."""
    parts = [p.strip() for p in (code or "").replace(",", "/").split("/") if p.strip()]
    return " / ".join(str(Method(p).label) if p in Method.values else p for p in parts)


def site_label(
    *, site_id: int, name: str = "", street: str = "", support: str = "", address: str = ""
) -> str:
    """A site as a person names it: its address, else its street, else its own name, else
    "Site N"; followed by what the tag was on, in lower case ("12 rue X (porte)")."""
    place = (address or street or name or "").strip() or _("Site %(id)s") % {"id": site_id}
    what = support_label(support)
    return f"{place} ({what.lower()})" if what and what.lower() not in place.lower() else place
