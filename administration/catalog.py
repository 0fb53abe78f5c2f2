"""Categories: the work categories (reports, interventions, Open311 services) and the asset
categories of the registry. One in use is never deleted, only deactivated."""

from django.contrib import messages
from django.core.exceptions import ValidationError
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


@require_http_methods(["GET", "HEAD"])
def category_list(request: HttpRequest) -> HttpResponse:
    own = admin_membership(request)
    context = {
        "categories": Category.objects.filter(community_id=own.community_id).order_by("-active", "name"),
        "asset_categories": AssetCategory.objects.filter(community_id=own.community_id).order_by("name"),
    }
    return page(request, "categories_list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def category_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    own = admin_membership(request)
    category = scoped_get(Category.objects.all(), own, pk) if pk is not None else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if category is None:
                category = category_create(community=own.community, data=data)
            else:
                category = category_update(category=category, data=data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The category %(name)s was saved.") % {"name": category.name})
            return redirect_to(request, "administration:categories")
    status = 400 if form.is_bound and form.errors else 200
    return page(
        request, "categories_form.html", {"form": form, "category": category, "kind": "work"}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def category_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    own = admin_membership(request)
    category = scoped_get(Category.objects.all(), own, pk)
    in_use = category_in_use(category=category)
    if request.method == "POST":
        if (refused := confirmed(request)) is not None:
            return refused
        try:
            category_delete(category=category)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The category %(name)s was deleted.") % {"name": category.name})
        return redirect_to(request, "administration:categories")
    return page(request, "categories_delete.html", {"object": category, "in_use": in_use, "kind": "work"})


@require_http_methods(["GET", "HEAD", "POST"])
def asset_category_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    own = admin_membership(request)
    category = scoped_get(AssetCategory.objects.all(), own, pk) if pk is not None else None
    initial = {"code": category.code, "name": category.name, "kind": category.kind} if category else None
    form = AssetCategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if category is None:
                category = asset_category_create(community=own.community, data=form.cleaned_data)
            else:
                category = asset_category_update(category=category, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The category %(name)s was saved.") % {"name": category.name})
            return redirect_to(request, "administration:categories")
    status = 400 if form.is_bound and form.errors else 200
    return page(
        request, "categories_form.html", {"form": form, "category": category, "kind": "asset"}, status=status
    )


@require_http_methods(["GET", "HEAD", "POST"])
def asset_category_delete_page(request: HttpRequest, pk: int) -> HttpResponse:
    own = admin_membership(request)
    category = scoped_get(AssetCategory.objects.all(), own, pk)
    in_use = category.assets.exists()
    if request.method == "POST":
        if (refused := confirmed(request)) is not None:
            return refused
        try:
            asset_category_delete(category=category)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The category %(name)s was deleted.") % {"name": category.name})
        return redirect_to(request, "administration:categories")
    return page(request, "categories_delete.html", {"object": category, "in_use": in_use, "kind": "asset"})
