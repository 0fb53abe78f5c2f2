"""Optional second factor (TOTP, django-otp) for a community's administrators and dispatchers.

A community's administrators turn it on (Community.settings["require_totp"]); from then on
an administrator or dispatcher signed in with a password reaches no page or API of that
community until they have typed a code from their authenticator app in this session. The
first time, the page enrols them: it shows the secret (text, to type into any TOTP app) and
its otpauth:// link. API tokens are a separate credential and are not asked for a code.
"""

import base64
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Community, Membership, Role

SECOND_FACTOR_ROLES = frozenset({Role.ADMIN.value, Role.DISPATCHER.value})
DEVICE_NAME = "Ronde"


def second_factor_required(membership: Membership) -> bool:
    return membership.role in SECOND_FACTOR_ROLES and bool(
        (membership.community.settings or {}).get("require_totp")
    )


def needs_code(request: HttpRequest, membership: Membership | None) -> bool:
    """A password session of a role that must give a code, and no code given yet."""
    user: Any = getattr(request, "user", None)
    if membership is None or user is None or not user.is_authenticated:
        return False  # API tokens never reach here with a session user
    verified = getattr(user, "is_verified", None)
    return second_factor_required(membership) and not (verified is not None and verified())


def code_page_url(request: HttpRequest) -> str:
    return f"{reverse('two-factor')}?{urlencode({'next': request.get_full_path()})}"


def communities_requiring(*, user: Any) -> list[Community]:
    return [
        m.community
        for m in Membership.objects.filter(user=user).select_related("community")
        if second_factor_required(m)
    ]


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Type the 6 digits the app shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}),
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name=DEVICE_NAME, confirmed=False
        )
    assert device is not None
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            target = request.GET.get("next") or "/"
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "/"
            return HttpResponseRedirect(target)
        form.add_error("code", _("This code is not valid (or has expired): type the one the app shows now."))
    secret = base64.b32encode(bytes(device.bin_key)).decode("ascii")
    context = {
        "form": form,
        "enrolling": enrolling,
        "secret": secret,
        # Groups of 4 to read and type (apps ignore the spaces); they also wrap on a phone.
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "config_url": device.config_url,
        "communities": communities_requiring(user=user),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/two_factor.html", context, status=status)
