"""Categories: the work categories (reports, interventions, Open311 services) and the asset
categories of the registry. One in use is never deleted, only deactivated.

Both kinds share one edit page and one delete page; a CatalogKind says which model, form
and services each uses.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from geo.models import AssetCategory
from geo.services.asset_categories import asset_category_create, asset_category_delete, asset_category_update
from interventions.models import Category
from interventions.services.categories import (
    category_create,
    category_delete,
    category_in_use,
    category_update,
)

from .common import admin_membership, apply_errors, confirmed, page, redirect_to, scoped_get
from .forms import AssetCategoryForm, CategoryForm


@dataclass(frozen=True)
class CatalogKind:
    name: str  # "work" or "asset", what the templates show
    model: type[Model]
    form: Callable[[Any, Any], forms.BaseForm]  # (data, instance or None) -> bound/unbound form
    create: Callable[..., Any]  # (community=, data=)
    update: Callable[[Any, dict[str, Any]], Any]  # (instance, data)
    delete: Callable[[Any], None]
    in_use: Callable[[Any], bool]


def _asset_form(data: Any, category: AssetCategory | None) -> forms.BaseForm:
    initial = (
        {"code": category.code, "name": category.name, "kind": category.kind, "active": category.active}
        if category
        else None
    )
    return AssetCategoryForm(data, initial=initial)


WORK = CatalogKind(
    name="work",
    model=Category,
    form=lambda data, category: CategoryForm(data, instance=category),
    create=category_create,
    update=lambda category, data: category_update(category=category, data=data),
    delete=lambda category: category_delete(category=category),
    in_use=lambda category: category_in_use(category=category),
)
ASSET = CatalogKind(
    name="asset",
    model=AssetCategory,
    form=_asset_form,
    create=asset_category_create,
    update=lambda category, data: asset_category_update(category=category, data=data),
    delete=lambda category: asset_category_delete(category=category),
    in_use=lambda category: category.assets.exists(),
)


@require_http_methods(["GET", "HEAD"])
def category_list(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    context = {
        "categories": Category.objects.filter(community_id=own.community_id).order_by("-active", "name"),
        "asset_categories": AssetCategory.objects.filter(community_id=own.community_id).order_by(
            "-active", "name"
        ),
    }
    return page(request, "categories_list.html", context)


def _form_page(request: HttpRequest, kind: CatalogKind, pk: int | None) -> HttpResponse:
    own = admin_membership(request)
    category = scoped_get(kind.model.objects.all(), own, pk) if pk is not None else None  # type: ignore[attr-defined]
    form = kind.form(request.POST or None, category)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if category is None:
                category = kind.create(community=own.community, data=data)
            else:
                category = kind.update(category, data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The category %(name)s was saved.") % {"name": category.name})
            return redirect_to(request, "administration:categories")
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "category": category, "kind": kind.name}
    return page(request, "categories_form.html", context, status=status)


def _delete_page(request: HttpRequest, kind: CatalogKind, pk: int) -> HttpResponse:
    own = admin_membership(request)
    category = scoped_get(kind.model.objects.all(), own, pk)  # type: ignore[attr-defined]
    if request.method == "POST":
        if (refused := confirmed(request)) is not None:
            return refused
        try:
            kind.delete(category)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The category %(name)s was deleted.") % {"name": category.name})
        return redirect_to(request, "administration:categories")
    context = {"object": category, "in_use": kind.in_use(category), "kind": kind.name}
    return page(request, "categories_delete.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def category_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _form_page(request, WORK, pk)


@require_http_methods(["GET", "HEAD", "POST"])
def category_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete_page(request, WORK, pk)


@require_http_methods(["GET", "HEAD", "POST"])
def asset_category_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _form_page(request, ASSET, pk)


@require_http_methods(["GET", "HEAD", "POST"])
def asset_category_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _delete_page(request, ASSET, pk)
