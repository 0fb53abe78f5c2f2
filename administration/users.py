"""People of the community: list, create or invite, change role and teams, deactivate,
send a password link. Nobody is ever deleted: their work stays attributed."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Membership, Team
from accounts.services import (
    member_create,
    member_edit,
    member_set_active,
    password_link_send,
)

from .common import admin_membership, apply_errors, confirmed, page, redirect_to
from .forms import INVITE, UserCreateForm, UserEditForm


def _link_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _member(request: HttpRequest, user_id: int) -> Membership:
    """The membership of user `user_id` in the caller's community (404 for anyone else)."""
    own = admin_membership(request)
    found = (
        Membership.objects.select_related("user", "community")
        .filter(community_id=own.community_id, user_id=user_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET", "HEAD"])
def user_list(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    members = (
        Membership.objects.filter(community_id=own.community_id)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__teams", queryset=Team.objects.filter(community_id=own.community_id).order_by("name")
            )
        )
        .order_by("-user__is_active", "user__username")
    )
    return page(request, "users_list.html", {"members": members, "me": request.user})


@require_http_methods(["GET", "HEAD", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    form = UserCreateForm(request.POST or None, community=own.community)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invite = data["how"] == INVITE
        try:
            user = member_create(
                community=own.community,
                username=data["username"],
                role=data["role"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=None if invite else data["password1"],
                teams=list(data["teams"]),
                invite_link_base=_link_base(request) if invite else None,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if invite:
                messages.success(
                    request,
                    _("%(username)s was created; an invitation was sent to %(email)s.")
                    % {"username": user.username, "email": user.email},
                )
            else:
                messages.success(request, _("%(username)s was created.") % {"username": user.username})
            return redirect_to(request, "administration:users")
    status = 400 if form.is_bound and form.errors else 200
    return page(request, "users_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    form = UserEditForm(request.POST or None, membership=member)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_edit(
                membership=member,
                data={k: data[k] for k in ("first_name", "last_name", "email") if data[k] != form.initial[k]},
                role=data["role"],
                teams=list(data["teams"]),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(username)s was saved.") % {"username": member.user.username})
            return redirect_to(request, "administration:users")
    status = 400 if form.is_bound and form.errors else 200
    return page(request, "users_form.html", {"form": form, "member": member}, status=status)


@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    if (refused := confirmed(request)) is not None:
        return refused
    active = request.POST.get("active") == "1"
    try:
        member_set_active(membership=member, active=active)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        text = (
            _("%(username)s can log in again.")
            if active
            else _("%(username)s is deactivated: they can no longer log in.")
        )
        messages.success(request, text % {"username": member.user.username})
    return redirect_to(request, "administration:users")


@require_POST
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    if (refused := confirmed(request)) is not None:
        return refused
    try:
        password_link_send(membership=member, link_base=_link_base(request), invitation=False)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("A link to choose a new password was sent to %(email)s.") % {"email": member.user.email},
        )
    return redirect_to(request, "administration:users")
