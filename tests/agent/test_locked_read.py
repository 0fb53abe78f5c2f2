"""The intervention an agent's edit writes, read and locked by one hand-written statement
(agent/selectors.py intervention_locked): the same instance the ORM would give, the row locked."""

import decimal

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agent.selectors import intervention_locked
from interventions.models import Intervention
from tests.factories import InterventionFactory, MissionFactory, TeamFactory


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.django_db
def test_the_locked_intervention_is_what_the_orm_reads(community):
    mission = MissionFactory(community=community, notes="Rue des Carmes", route=None)
    own_team = TeamFactory(community=community, name="Brigade du soir")
    planned = InterventionFactory(
        community=community,
        mission=mission,
        team=own_team,
        surface_m2=decimal.Decimal("2.50"),
        support="wall",
    )
    with transaction.atomic():
        got = intervention_locked(community=community, pk=planned.pk)
        orm = Intervention.objects.select_related("mission__team", "team").get(pk=planned.pk)
        assert _fields(got) == _fields(orm)  # geometry, decimal, dates and JSON converted alike
        assert got.geom.srid == orm.geom.srid and got.geom.equals_exact(orm.geom)
        assert got.surface_m2 == decimal.Decimal("2.50")
        # The related rows come with it: no further query to read them.
        with CaptureQueriesContext(connection) as queries:
            assert got.mission.notes == "Rue des Carmes" and got.mission.team.pk == mission.team_id
            assert got.team.name == "Brigade du soir"
        assert queries.captured_queries == []
        assert "route" in got.mission.get_deferred_fields()  # heavy fields load only if read

    unplanned = InterventionFactory(community=community)
    got = intervention_locked(community=community, pk=unplanned.pk)
    assert got.mission is None and got.team is None


@pytest.mark.django_db
def test_another_communitys_intervention_is_not_found(community, other_community):
    theirs = InterventionFactory(community=other_community)
    with pytest.raises(Intervention.DoesNotExist):
        intervention_locked(community=community, pk=theirs.pk)


@pytest.mark.django_db(transaction=True)
def test_the_row_is_locked_until_the_transaction_ends(community):
    planned = InterventionFactory(community=community, mission=MissionFactory(community=community))
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}
    with transaction.atomic():
        intervention_locked(community=community, pk=planned.pk)
        with psycopg.connect(**dsn, autocommit=True) as other:
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT 1 FROM interventions_intervention WHERE id = %s FOR UPDATE NOWAIT", [planned.pk]
                )
            # Only the intervention: its mission stays free for others (a dispatcher's edit).
            other.execute(
                "SELECT 1 FROM interventions_mission WHERE id = %s FOR UPDATE NOWAIT", [planned.mission_id]
            )
    with psycopg.connect(**dsn, autocommit=True) as other:
        other.execute(
            "SELECT 1 FROM interventions_intervention WHERE id = %s FOR UPDATE NOWAIT", [planned.pk]
        )
