"""Open311 partner keys: create (the key is shown once, only its hash is kept), revoke."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from interventions.models import PartnerApiKey
from interventions.open311.services import partner_key_create, partner_key_revoke

from .common import admin_membership, apply_errors, confirmed, page, redirect_to, scoped_get
from .forms import PartnerKeyForm


@never_cache  # the page that shows a new key must never be kept by a cache
@require_http_methods(["GET", "HEAD", "POST"])
def partner_list(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    form = PartnerKeyForm(request.POST or None)
    new_key: dict[str, object] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            partner, value = partner_key_create(
                community=own.community,
                name=form.cleaned_data["name"],
                rate_limit=form.cleaned_data["rate_limit"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            form = PartnerKeyForm()
            new_key = {"partner": partner, "value": value}
    keys = PartnerApiKey.objects.filter(community_id=own.community_id).order_by("-active", "name")
    status = 400 if form.is_bound and form.errors else 200
    return page(
        request, "partners_list.html", {"form": form, "keys": keys, "new_key": new_key}, status=status
    )


@require_POST
def partner_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    own = admin_membership(request)
    partner = scoped_get(PartnerApiKey.objects.all(), own, pk)
    if (refused := confirmed(request)) is not None:
        return refused
    partner_key_revoke(partner=partner)
    messages.success(
        request, _("The key of %(name)s is revoked: it is refused from now on.") % {"name": partner.name}
    )
    return redirect_to(request, "administration:partners")
