"""What every administration page shares: the caller's community, scoped lookups, redirects.

Only the administrators of the selected community (?community=<slug>, else their first one)
reach these pages (accounts/access.py); every object is looked up inside that community, so
an id of another community is a 404, never a page.
"""

from typing import Any, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import user_membership
from accounts.models import Membership, Role
from accounts.selectors import NoCommunity


def admin_membership(request: HttpRequest) -> Membership:
    """The caller's administrator membership in the selected community (403 otherwise)."""
    try:
        membership = user_membership(request)  # AccessMiddleware let only members through
    except NoCommunity as exc:
        raise PermissionDenied(_("You are not a member of this community.")) from exc
    if membership.role != Role.ADMIN:
        raise PermissionDenied(_("Only the community's administrators manage it."))
    return membership


M = TypeVar("M", bound=Model)


def scoped_get(queryset: QuerySet[M], membership: Membership, pk: int) -> M:
    """The object `pk` of the caller's community, or a 404 (another community's ids included)."""
    found = queryset.filter(community_id=membership.community_id, pk=pk).first()
    if found is None:
        raise Http404
    return found


def community_query(request: HttpRequest) -> str:
    slug = request.GET.get("community")
    return f"?{urlencode({'community': slug})}" if slug else ""


def redirect_to(request: HttpRequest, name: str, *args: Any) -> HttpResponseRedirect:
    """To another administration page, in the same community (?community= kept)."""
    return HttpResponseRedirect(reverse(name, args=args) + community_query(request))


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(
        request,
        f"administration/{template}",
        {"q": community_query(request), "section": template.split("_")[0], **context},
        status=status,
    )


def apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form's fields (unknown names on the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        target = name if name in form.fields else None
        if name == NON_FIELD_ERRORS or name == "__all__":
            target = None
        for message in messages:
            form.add_error(target, message)


def confirmed(request: HttpRequest) -> HttpResponseBadRequest | None:
    """Action buttons post confirm=yes: anything else (a stray POST) changes nothing."""
    if request.POST.get("confirm") != "yes":
        return HttpResponseBadRequest(_("Nothing was changed: the form was incomplete."))
    return None
