"""A community administrator made staff cannot escalate nor reach another community (issue 22).

The attack: a community admin given `is_staff` and EVERY model permission posts
`is_superuser=on` to their own user form, then opens another community's rows in each admin.
The registry walk keeps it so for admin classes added later: each one is either scoped to the
caller's communities (and then the other community's row of its model is neither listed nor
opened) or superuser-only.
"""

import uuid
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role, User
from agent.models import AuditEntry, AuditKind, InterventionSync
from audit.models import AuditAction, AuditEvent, AuditSource
from core.admin import is_community_scoped
from interventions.models import Report
from tests.factories import StreetSegmentFactory, member
from tests.security.world import LEAK, build_world

pytestmark = pytest.mark.django_db


def url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def staff_admin(world, client):
    """The community admin, staff, holding every permission there is."""
    user = world.users[Role.ADMIN]
    user.user_permissions.set(Permission.objects.all())
    user = User.objects.get(pk=user.pk)  # no cached permissions
    client.force_login(user)
    client.user = user
    return client


def other_rows(world) -> dict[Any, Any]:
    """One row of the other community per admin-registered model that has community data."""
    other = world.other
    stranger = member(other.community, Role.AGENT, username=f"stranger-{LEAK}")
    sync = InterventionSync.objects.create(
        intervention=other["intervention"],
        community=other.community,
        client_updated_at=timezone.now(),
        client_key=uuid.uuid4(),
        flagged=True,
        flag_reason=LEAK,
    )
    entry = AuditEntry.objects.create(
        community=other.community, kind=AuditKind.STALE_EDIT, intervention=other["intervention"]
    )
    event = AuditEvent.objects.create(
        community=other.community,
        content_type=ContentType.objects.get_for_model(Report),
        object_id=other["report"].pk,
        object_repr=f"Tag {LEAK}",
        action=AuditAction.UPDATE,
        source=AuditSource.values[0],
    )
    rows = {
        type(obj): obj
        for obj in [
            other.community,
            stranger,
            Membership.objects.get(user=stranger),
            sync,
            entry,
            event,
            other["template"],
            other.community.partner_keys.get(),
            StreetSegmentFactory(community=other.community, name=f"Rue {LEAK}"),
        ]
    }
    for kind in (
        "team",
        "category",
        "zone",
        "asset",
        "asset_category",
        "report",
        "mission",
        "intervention",
        "photo",
    ):
        rows[type(other[kind])] = other[kind]
    return rows


def payload(user: User, **extra: Any) -> dict[str, Any]:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "00:00:00",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    return data | extra


def test_community_admin_cannot_make_themselves_superuser(world, staff_admin):
    me = staff_admin.user
    form = staff_admin.get(url(User, "change", me.pk))
    assert form.status_code == 200
    html = form.content.decode()
    for name in ("is_superuser", "is_staff", "user_permissions", "groups"):
        assert f'name="{name}"' not in html, name
    group_perm = Permission.objects.get(codename="add_user")
    staff_admin.post(
        url(User, "change", me.pk),
        payload(me, is_superuser="on", is_staff="on", user_permissions=[group_perm.pk]),
    )
    me.refresh_from_db()
    assert not me.is_superuser
    assert me.is_staff  # untouched: only a superuser changes it
    # And still nothing of the other community.
    report = world.other["report"]
    assert staff_admin.get(url(type(report), "change", report.pk)).status_code == 302


def test_community_admin_cannot_grant_staff_or_superuser_to_a_colleague(world, staff_admin):
    colleague = world.users[Role.DISPATCHER]
    response = staff_admin.post(
        url(User, "change", colleague.pk), payload(colleague, is_superuser="on", is_staff="on")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    colleague.refresh_from_db()
    assert not colleague.is_superuser and not colleague.is_staff


def test_community_admin_cannot_change_their_own_role_or_join_another_community(world, staff_admin):
    me = staff_admin.user
    own = Membership.objects.get(user=me)
    # Their own membership is read-only...
    response = staff_admin.post(
        url(Membership, "change", own.pk), {"user": me.pk, "community": own.community_id, "role": Role.VIEWER}
    )
    assert response.status_code == 403
    # ...and the membership inline cannot make them a member (or admin) of another community.
    colleague = world.users[Role.DISPATCHER]
    data = payload(colleague) | {
        "memberships-TOTAL_FORMS": "1",
        "memberships-0-user": colleague.pk,
        "memberships-0-community": world.other.community.pk,
        "memberships-0-role": Role.ADMIN,
    }
    staff_admin.post(url(User, "change", colleague.pk), data)
    assert not Membership.objects.filter(user=colleague, community=world.other.community).exists()
    # Nor give a membership to themselves through the Membership admin.
    staff_admin.post(url(Membership, "add"), {"user": me.pk, "community": own.community_id, "role": "admin"})
    assert Membership.objects.filter(user=me).count() == 1


def test_community_admin_cannot_take_over_a_superuser_or_a_shared_user(world, staff_admin):
    root = member(world.own.community, Role.VIEWER, username="root", is_superuser=True, is_staff=True)
    shared = member(world.own.community, Role.AGENT, username="shared")
    Membership.objects.create(user=shared, community=world.other.community, role=Role.ADMIN)
    assert staff_admin.get(url(User, "change", root.pk)).status_code == 302  # not listed at all
    for target in (root, shared):
        before = target.password
        staff_admin.post(
            f"/admin/accounts/user/{target.pk}/password/",
            {"password1": "Pris-en-main-2025", "password2": "Pris-en-main-2025", "usable_password": "true"},
        )
        target.refresh_from_db()
        assert target.password == before


def test_registry_every_admin_is_scoped_for_a_non_superuser(world, staff_admin):
    """Walks django.contrib.admin.site: scoped (other community's row neither listed nor
    opened) or superuser-only (403). A new admin class with community data needs a row below."""
    rows = other_rows(world)
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        assert is_community_scoped(model_admin), label
        changelist = staff_admin.get(url(model, "changelist"))
        if not model_admin.has_module_permission(type("R", (), {"user": staff_admin.user})()):
            assert changelist.status_code == 403, label
            continue
        assert changelist.status_code == 200, label
        assert model in rows, f"{label}: add a row of another community to other_rows()"
        row = rows[model]
        assert LEAK not in changelist.content.decode(), label
        assert staff_admin.get(url(model, "change", row.pk)).status_code == 302, label  # "does not exist"


def test_list_filters_do_not_name_other_communities(world, staff_admin):
    page = staff_admin.get(url(type(world.own["report"]), "changelist")).content.decode()
    assert LEAK not in page
    assert staff_admin.get(url(User, "changelist")).content.decode().count(LEAK) == 0


def test_superuser_still_sees_everything(world, client):
    root = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    sync_rows = other_rows(world)
    for model, row in sync_rows.items():
        assert client.get(url(model, "change", row.pk)).status_code == 200, model._meta.label
