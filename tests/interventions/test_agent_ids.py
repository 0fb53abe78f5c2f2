"""An intervention's agents' ids kept on its row by PostgreSQL (interventions/sql/agent_ids_triggers.sql).

The API's list reads them from the row; the join table stays the only place the application
writes them. These tests write the join table every way the code does, and check that the
row, and so the API, always says what the join table says.
"""

import threading

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, connections, transaction

from accounts.models import Role
from interventions.models import Intervention
from interventions.services.interventions import intervention_create, intervention_update
from tests.factories import CategoryFactory, InterventionFactory, member


def row_ids(intervention: Intervention) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT agent_ids FROM interventions_intervention WHERE id = %s", [intervention.pk])
        return cursor.fetchone()[0]


def join_ids(intervention: Intervention) -> list[int]:
    return sorted(intervention.agents.values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_row_says_what_the_join_table_says_after_every_write(community, api_as):
    a, b, c = (member(community, Role.AGENT) for _ in range(3))
    intervention = intervention_create(
        community=community, category=CategoryFactory(community=community), geom=Point(0.34, 46.58, srid=4326),
        agents=[c, a],
    )  # fmt: skip
    steps = [
        ("created with two agents", lambda: None),
        ("updated to one", lambda: intervention_update(intervention=intervention, data={"agents": [b]})),
        ("one added", lambda: intervention.agents.add(a)),
        ("the same added again", lambda: intervention.agents.add(a)),
        ("one removed", lambda: intervention.agents.remove(b)),
        ("set to all three", lambda: intervention.agents.set([c, b, a])),
        ("cleared", lambda: intervention.agents.clear()),
        (
            "three rows in one bulk insert",
            lambda: Intervention.agents.through.objects.bulk_create(
                [Intervention.agents.through(intervention=intervention, user=u) for u in (b, c, a)]
            ),
        ),
        (
            "a join row moved to another agent by hand",
            lambda: Intervention.agents.through.objects.filter(intervention=intervention, user=c).update(
                user=member(community, Role.AGENT)
            ),
        ),
    ]
    client = api_as(community, Role.VIEWER)
    for label, write in steps:
        write()
        expected = join_ids(intervention)
        assert row_ids(intervention) == expected, label
        features = client.get("/api/v1/interventions/?page_size=1000").json()["features"]
        assert [f["properties"]["agents"] for f in features] == [expected], label
    assert len(expected) == 3  # the last step kept three agents


@pytest.mark.django_db
def test_each_intervention_keeps_its_own_agents(community):
    a, b = member(community, Role.AGENT), member(community, Role.AGENT)
    first, second, alone = (InterventionFactory(community=community) for _ in range(3))
    Intervention.agents.through.objects.bulk_create(
        [
            Intervention.agents.through(intervention=first, user=a),
            Intervention.agents.through(intervention=second, user=b),
            Intervention.agents.through(intervention=first, user=b),
        ]
    )
    assert (row_ids(first), row_ids(second), row_ids(alone)) == (sorted([a.pk, b.pk]), [b.pk], [])


@pytest.mark.django_db
def test_a_truncated_join_table_leaves_no_agents_on_the_rows(community):
    intervention = InterventionFactory(community=community)
    intervention.agents.add(member(community, Role.AGENT))
    other = InterventionFactory(community=community)
    assert row_ids(intervention) != []
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
        cursor.execute("TRUNCATE interventions_intervention_agents")
    assert (row_ids(intervention), row_ids(other)) == ([], [])


@pytest.mark.django_db(transaction=True)
def test_two_agents_added_at_once_by_two_transactions_are_both_kept(community):
    """The second transaction's trigger waits on the row the first one updated; when the first
    commits, the second merges its agent into the committed row instead of writing back the
    row as its snapshot saw it (which would lose the first agent)."""
    a, b = member(community, Role.AGENT), member(community, Role.AGENT)
    intervention = InterventionFactory(community=community)
    first_added, second_waiting = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                intervention.agents.add(a)
                first_added.set()
                assert second_waiting.wait(20)
        except BaseException as error:  # reported by the test's thread
            errors.append(error)
            first_added.set()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            assert first_added.wait(20)
            with transaction.atomic():
                intervention.agents.add(b)  # blocks in the trigger until `first` commits
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    with connection.cursor() as cursor:
        for _ in range(200):  # until the second transaction waits for the first one's row lock
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the second transaction never waited for the first one")
    second_waiting.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert row_ids(intervention) == join_ids(intervention) == sorted([a.pk, b.pk])
