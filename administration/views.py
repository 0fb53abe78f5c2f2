"""The administration's home page and its audit trail."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, Team
from accounts.services import community_set_second_factor
from audit.selectors import events_for_community
from geo.models import AssetCategory, Zone
from interventions.models import Category, PartnerApiKey

from .common import admin_membership, confirmed, page, redirect_to

EVENTS_PER_PAGE = 50


@require_http_methods(["GET", "HEAD"])
def index(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    scope = {"community_id": own.community_id}
    counts = {
        "users": Membership.objects.filter(**scope).count(),
        "teams": Team.objects.filter(**scope).count(),
        "categories": Category.objects.filter(**scope).count()
        + AssetCategory.objects.filter(**scope).count(),
        "partners": PartnerApiKey.objects.filter(**scope, active=True).count(),
        "zones": Zone.objects.filter(**scope).count(),
    }
    context = {
        "counts": counts,
        "community": own.community,
        "require_totp": bool((own.community.settings or {}).get("require_totp")),
    }
    return page(request, "index.html", context)


@require_POST
def security(request: HttpRequest) -> HttpResponse:
    """Turn the second factor for administrators and dispatchers on or off."""
    own = admin_membership(request)
    if (refused := confirmed(request)) is not None:
        return refused
    required = request.POST.get("require_totp") == "1"
    community_set_second_factor(community=own.community, required=required)
    if required:
        messages.success(
            request, _("Administrators and dispatchers now give a code from their app at sign-in.")
        )
    else:
        messages.success(request, _("Administrators and dispatchers no longer give a code at sign-in."))
    return redirect_to(request, "administration:index")


@require_http_methods(["GET", "HEAD"])
def audit_log(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    paginator = Paginator(events_for_community(community_id=own.community_id), EVENTS_PER_PAGE)
    events = paginator.get_page(request.GET.get("page"))
    return page(request, "audit.html", {"events": events})
