"""The pgRouting graph kept in geo_streetsegment.source/target, per community.

A trigger (migration geo 0003) nulls source/target when a segment's geometry changes, and
new segments arrive without them, so `topology_ensure` knows when to rebuild.
"""

from django.db import transaction

from core.sql import run_sql

from . import routing_sql


def topology_build(*, community_id: int) -> None:
    """Recompute every segment's source/target for the community (one statement)."""
    with transaction.atomic():
        run_sql(routing_sql("routing_topology.sql"), {"community_id": community_id})


def network_state(*, community_id: int) -> tuple[int, str]:
    """(segments not in the topology yet, fingerprint of the network)."""
    stale, version = run_sql(routing_sql("routing_network_state.sql"), {"community_id": community_id})[0]
    return int(stale), str(version)


def topology_ensure(*, community_id: int) -> str:
    """Rebuild the topology if the network changed since the last build; return its version."""
    stale, version = network_state(community_id=community_id)
    if stale:
        topology_build(community_id=community_id)
        stale, version = network_state(community_id=community_id)
    return version
