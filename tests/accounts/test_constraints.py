import pytest
from django.db import IntegrityError

from accounts.models import Membership
from tests.factories import MembershipFactory


def test_one_role_per_community(community):
    membership = MembershipFactory(community=community)
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=membership.user, community=community, role="viewer")


def test_role_must_be_known(community):
    with pytest.raises(IntegrityError):
        MembershipFactory(community=community, role="mayor")
