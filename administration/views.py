"""The administration's home page and its audit trail."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from accounts.models import Membership, Team
from audit.selectors import events_for_community
from geo.models import AssetCategory, Zone
from interventions.models import Category, PartnerApiKey

from .common import admin_membership, page

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
    return page(request, "index.html", {"counts": counts, "community": own.community})


@require_http_methods(["GET", "HEAD"])
def audit_log(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    paginator = Paginator(events_for_community(community_id=own.community_id), EVENTS_PER_PAGE)
    events = paginator.get_page(request.GET.get("page"))
    return page(request, "audit.html", {"events": events})
