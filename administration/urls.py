from django.urls import path

from . import catalog, geography, partners, teams, users, views

app_name = "administration"

urlpatterns = [
    path("", views.index, name="index"),
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user-new"),
    path("users/<int:user_id>/", users.user_edit, name="user-edit"),
    path("users/<int:user_id>/active/", users.user_active, name="user-active"),
    path("users/<int:user_id>/password-link/", users.user_password, name="user-password"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/new/", teams.team_form, name="team-new"),
    path("teams/<int:pk>/", teams.team_form, name="team-edit"),
    path("categories/", catalog.category_list, name="categories"),
    path("categories/new/", catalog.category_form, name="category-new"),
    path("categories/<int:pk>/", catalog.category_form, name="category-edit"),
    path("categories/<int:pk>/delete/", catalog.category_delete_page, name="category-delete"),
    path("asset-categories/new/", catalog.asset_category_form, name="asset-category-new"),
    path("asset-categories/<int:pk>/", catalog.asset_category_form, name="asset-category-edit"),
    path(
        "asset-categories/<int:pk>/delete/", catalog.asset_category_delete_page, name="asset-category-delete"
    ),
    path("partners/", partners.partner_list, name="partners"),
    path("partners/<int:pk>/revoke/", partners.partner_revoke, name="partner-revoke"),
    path("districts/", geography.zone_list, name="zones"),
    path("districts/<int:pk>/", geography.zone_edit, name="zone-edit"),
    path("districts/<int:pk>/delete/", geography.zone_delete_page, name="zone-delete"),
    path("territory/", geography.territory, name="territory"),
    path("audit/", views.audit_log, name="audit"),
    path("security/", views.security, name="security"),
]
