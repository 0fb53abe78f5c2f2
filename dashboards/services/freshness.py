"""Whether a community's recurrence facts are fresh enough to read, decided once per page.

A view calls `recurrence_ensure_fresh` once and passes the state it returns to the
selectors, which only read. When the community's data changed since the last rebuild
(facts_stamp.sql), a small community (or one whose facts are too old) is rebuilt right away,
inside the request; a large one keeps its facts (the page says from when) while a
background task rebuilds them.
"""

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Community
from dashboards.models import RecurrenceState
from dashboards.services.recurrence import RebuildBusy, facts_stamp, recurrence_refresh
from dashboards.tasks import recurrence_refresh_task

# Rebuild inside the request below this many facts (~1 s at 100k on a small server).
SYNC_ROWS = 100_000
_ENQUEUED: dict[int, float] = {}  # per worker: community id -> monotonic time of last enqueue


def recurrence_ensure_fresh(*, community: Community) -> RecurrenceState:
    """The facts' state, rebuilt first when needed (see module docstring); `pending` says
    that newer data is being taken in by the background task."""
    state = RecurrenceState.objects.filter(community_id=community.pk).defer("figures").first()
    if state is not None and state.stamp == facts_stamp(community_id=community.pk):
        return state
    if state is None:
        return recurrence_refresh(community_id=community.pk)
    sync_rows = getattr(settings, "RONDE_RECURRENCE_SYNC_ROWS", SYNC_ROWS)
    age = (timezone.now() - state.refreshed_at).total_seconds()
    if state.rows < sync_rows and age >= settings.RONDE_RECURRENCE_FRESH_S:
        # A small community is rebuilt in the request, but at most once a FRESH_S, and never
        # behind another request's rebuild: with agents syncing all day, every dashboard view
        # would otherwise rebuild (measured: 200 users, dashboard p50 9.8 s, queued on the lock).
        try:
            return recurrence_refresh(community_id=community.pk, wait=False)
        except RebuildBusy:
            pass
    # A large community is never rebuilt inside a request (40-60 s at 1M interventions: the
    # page would time out): its last facts are served, the page says from when, and the
    # background task rebuilds them.
    state.pending = True
    now = time.monotonic()
    if now - _ENQUEUED.get(community.pk, -1e9) > 60:
        _ENQUEUED[community.pk] = now
        transaction.on_commit(lambda: recurrence_refresh_task.enqueue(community.pk))
    return state
