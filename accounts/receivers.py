"""API tokens are revoked when what they were given for changes (issue 22).

A password change (what a user does when they fear a leak), a deactivation, and the removal
or change of any of their roles revoke every token of the user: a script keeps no access its
owner lost. Signals, not services, because the admin, the password forms and cascading
deletes all write these rows.
"""

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save

from .models import Membership, User
from .services import api_tokens_revoke_all


def user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    # AbstractBaseUser keeps the new raw password in _password until after post_save; a hash
    # upgrade at login clears it first (Django: "not a password change").
    password_changed = getattr(instance, "_password", None) is not None
    if not created and (password_changed or not instance.is_active):
        api_tokens_revoke_all(user_id=instance.pk)


def membership_changing(sender: Any, instance: Membership, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    before = Membership.objects.filter(pk=instance.pk).values_list("role", "user_id").first()
    if before is not None and before != (instance.role, instance.user_id):
        api_tokens_revoke_all(user_id=before[1])


def membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    api_tokens_revoke_all(user_id=instance.user_id)


def connect() -> None:
    post_save.connect(user_saved, sender=User, dispatch_uid="accounts-revoke-tokens-user")
    pre_save.connect(membership_changing, sender=Membership, dispatch_uid="accounts-revoke-tokens-role")
    post_delete.connect(
        membership_deleted, sender=Membership, dispatch_uid="accounts-revoke-tokens-membership"
    )
