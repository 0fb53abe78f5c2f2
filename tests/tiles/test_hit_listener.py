"""Cached tiles answered from a worker's memory while it listens (tiles/hit_listener.py).

A remembered hit asks the database nothing, so these tests prove it with the database's two
doors shut (the shortcut's hit statement and session read raise): a hit still served then came
from memory. And every change that could alter the answer (a revoked token, a deactivated
user, a changed password, a logout, an expired session, a membership gone or moved, a purged
tile, a broken line to the database, a change that lands while a hit is being read) makes the
next request get the full stack's answer, compared header by header.
"""

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import ApiToken, Membership, Role
from tests.factories import InterventionFactory, member
from tests.tiles.helpers import at, url
from tests.tiles.hit_server import TILE, both_ways, get, same_answer, session_for, token_for
from tiles import hit_listener, hit_shortcut
from tiles.hit_shortcut import LISTENER

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def database_shut(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shortcut cannot reach the database: a hit it still serves came from memory.
    (Its errors are caught and the request goes to the full stack, which is not shut.)"""

    def shut(*args: object, **kwargs: object) -> None:
        raise AssertionError("the shortcut asked the database")

    with monkeypatch.context() as patch:
        patch.setattr(hit_shortcut, "fetch_prepared", shut)
        patch.setattr(hit_shortcut, "_session_user", shut)
        yield


def ask_memory(base, app, path, headers, monkeypatch) -> tuple[bool, httpx.Response]:
    """(whether memory answered, the answer: memory's, or the full stack's if not)."""
    before = app.served
    with database_shut(monkeypatch):
        response = get(base, path, headers)
    return app.served > before, response


def served_from_memory(base, app, path, headers, monkeypatch) -> bool:
    return ask_memory(base, app, path, headers, monkeypatch)[0]


def remembered(base, app, path, headers, monkeypatch) -> None:
    """Ask once through the database (the worker remembers), then check memory answers."""
    fast, slow, served = both_ways(base, app, path, headers)
    assert served and fast.status_code == 200
    same_answer(fast, slow)
    assert served_from_memory(base, app, path, headers, monkeypatch)


def refused_by_the_stack(base, app, path, headers, monkeypatch) -> None:
    assert not served_from_memory(base, app, path, headers, monkeypatch)
    fast, slow, served = both_ways(base, app, path, headers)
    assert not served and fast.status_code in (401, 403)
    same_answer(fast, slow)


@pytest.mark.parametrize("credential", ["token", "session"])
def test_a_remembered_hit_asks_nothing_of_the_database_and_answers_the_same(
    server, community, cached, monkeypatch, credential
):
    base, app = server
    user = member(community, Role.AGENT)
    headers = token_for(user) if credential == "token" else session_for(user)
    remembered(base, app, cached, headers, monkeypatch)
    with database_shut(monkeypatch):
        fast = get(base, cached, headers)
        again = get(base, cached, {**headers, "If-None-Match": fast.headers["ETag"]})
    slow = both_ways(base, app, cached, headers)[1]
    same_answer(fast, slow)
    assert again.status_code == 304


@pytest.mark.parametrize(
    "change",
    [
        "token deleted",
        "user deactivated",
        "membership deleted",
        "membership moved",
        "password changed",
        "logged out",
    ],  # fmt: skip
)
def test_a_change_to_the_caller_is_seen_by_the_next_request(
    server, community, other_community, cached, monkeypatch, change
):
    base, app = server
    user = member(community, Role.DISPATCHER)
    session = change in ("password changed", "logged out")
    headers = session_for(user) if session else token_for(user)
    remembered(base, app, cached, headers, monkeypatch)
    if change == "token deleted":
        ApiToken.objects.filter(user=user).delete()
    elif change == "user deactivated":
        user.is_active = False
        user.save()
    elif change == "membership deleted":
        Membership.objects.filter(user=user).delete()
    elif change == "membership moved":
        Membership.objects.filter(user=user).update(community=other_community)
    elif change == "password changed":
        user.set_password("a-brand-new-password-42")
        user.save()
    else:
        Session.objects.all().delete()
    if change == "membership moved":  # now a member elsewhere: that community's tile, built afresh
        served, elsewhere = ask_memory(base, app, cached, headers, monkeypatch)
        assert not served and elsewhere.headers["X-Tile-Cache"] == "miss"
        return
    refused_by_the_stack(base, app, cached, headers, monkeypatch)


def statements_asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the shortcut sends (it still sends them), in order."""
    asked: list[str] = []
    real = hit_shortcut.fetch_prepared

    def spy(statement: str, params: dict, *, binary: bool = False):
        asked.append(statement)
        return real(statement, params, binary=binary)

    monkeypatch.setattr(hit_shortcut, "fetch_prepared", spy)
    return asked


def test_a_trusted_caller_s_new_tile_is_read_alone_until_the_caller_changes(
    server, community, cached, monkeypatch
):
    """A caller the worker trusts, a cached tile it does not hold: the tile's row alone is read
    (sql/cache_tile.sql), with the full stack's answer; after a change to the caller, the whole
    hit statement decides again, and the stack refuses."""
    base, app = server
    z, x, y = TILE
    others = [url("interventions", (z, x + 1, y)), url("interventions", (z, x, y + 1))]
    viewer = member(community, Role.VIEWER)
    for other in others:  # cached by someone else's visit: this worker holds them for no one
        assert get(base, other, token_for(viewer)).headers["X-Tile-Cache"] == "miss"
    user = member(community, Role.DISPATCHER)
    headers = token_for(user)
    remembered(base, app, cached, headers, monkeypatch)

    asked = statements_asked(monkeypatch)
    before = app.served
    fast = get(base, others[0], headers)
    assert app.served == before + 1 and asked == [hit_shortcut._tile_statement()]
    with override_settings(RONDE_TILE_HIT_SHORTCUT=False):
        slow = get(base, others[0], headers)
    same_answer(fast, slow)

    ApiToken.objects.filter(user=user).delete()
    asked.clear()
    refused = get(base, others[1], headers)
    assert refused.status_code == 401 and hit_shortcut._tile_statement() not in asked


def test_an_expired_session_is_not_answered_from_memory(server, community, cached, monkeypatch):
    base, app = server
    headers = session_for(member(community, Role.VIEWER))
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(seconds=2))
    remembered(base, app, cached, headers, monkeypatch)
    time.sleep(2.2)  # no write: only the clock says the session is over
    refused_by_the_stack(base, app, cached, headers, monkeypatch)


def test_an_expired_token_is_not_answered_from_memory(server, community, cached, monkeypatch):
    base, app = server
    user = member(community, Role.VIEWER)
    headers = token_for(user)
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() + dt.timedelta(seconds=2))
    remembered(base, app, cached, headers, monkeypatch)
    time.sleep(2.2)  # no write: only the clock says the token is over
    refused_by_the_stack(base, app, cached, headers, monkeypatch)


def test_a_write_purges_the_remembered_tile(server, community, cached, monkeypatch):
    base, app = server
    headers = token_for(member(community, Role.VIEWER))
    remembered(base, app, cached, headers, monkeypatch)
    old = get(base, cached, headers)
    InterventionFactory(community=community, geom=at(1, 1))
    served, fresh = ask_memory(base, app, cached, headers, monkeypatch)
    assert not served and fresh.headers["X-Tile-Cache"] == "miss" and fresh.content != old.content
    new, slow, served = both_ways(base, app, cached, headers)
    assert served and new.content == fresh.content
    same_answer(new, slow)


def test_a_replaced_cache_row_is_read_again(server, community, cached, monkeypatch):
    """Two workers built the same tile at once: the second store replaces the first row."""
    base, app = server
    headers = token_for(member(community, Role.VIEWER))
    remembered(base, app, cached, headers, monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tiles_tilecacheentry SET etag = 'replaced' WHERE community_id = %s", [community.pk]
        )
    served, answer = ask_memory(base, app, cached, headers, monkeypatch)
    assert not served and answer.headers["ETag"] == '"replaced"'


def test_a_broken_line_to_the_database_stops_memory_until_listening_again(
    server, community, cached, monkeypatch
):
    base, app = server
    headers = token_for(member(community, Role.VIEWER))
    remembered(base, app, cached, headers, monkeypatch)
    monkeypatch.setattr(hit_listener, "RETRY_S", 0.0)
    with connection.cursor() as cursor:  # the database ends the listening session
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            [hit_listener.APPLICATION_NAME],
        )
        assert cursor.fetchone()[0] == 1
    time.sleep(0.2)
    assert not served_from_memory(base, app, cached, headers, monkeypatch)
    # The next hit listens again and asks the database; the one after is remembered again.
    remembered(base, app, cached, headers, monkeypatch)


def test_a_change_that_lands_while_a_hit_is_read_is_not_trusted(server, community, cached, monkeypatch):
    """The token is deleted (and committed) between the hit's read and its remembering."""
    base, app = server
    user = member(community, Role.VIEWER)
    headers = token_for(user)
    read = hit_shortcut.fetch_prepared
    dsn = hit_listener.connection_params()

    def read_then_revoke(*args, **kwargs):
        row = read(*args, **kwargs)
        epoch = LISTENER.epoch
        with psycopg.connect(**dsn, autocommit=True) as other:
            other.execute("DELETE FROM accounts_apitoken WHERE user_id = %s", [user.pk])
        deadline = time.monotonic() + 5
        while LISTENER.epoch == epoch and time.monotonic() < deadline:  # the worker's listening
            time.sleep(0.01)  # thread reads the notification before the hit is remembered
        assert LISTENER.epoch != epoch
        return row

    with monkeypatch.context() as patch:
        patch.setattr(hit_shortcut, "fetch_prepared", read_then_revoke)
        assert get(base, cached, headers).status_code == 200  # read before the delete: served
    refused_by_the_stack(base, app, cached, headers, monkeypatch)


def test_without_listening_every_hit_asks_the_database(server, community, cached, monkeypatch):
    base, app = server
    headers = token_for(member(community, Role.VIEWER))
    with override_settings(RONDE_TILE_HIT_LISTEN=False):
        fast, slow, served = both_ways(base, app, cached, headers)
        assert served
        same_answer(fast, slow)
        assert not served_from_memory(base, app, cached, headers, monkeypatch)
    remembered(base, app, cached, headers, monkeypatch)  # listening again: remembered again
    assert LISTENER.current() is not None


def test_with_a_trigger_missing_no_hit_is_answered_from_memory(server, community, cached, monkeypatch):
    """A database not migrated since, or a trigger disabled by hand: nothing would say what to forget."""
    base, app = server
    headers = token_for(member(community, Role.VIEWER))
    LISTENER.close()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE accounts_apitoken DISABLE TRIGGER tiles_hit_forget")
    try:
        fast, slow, served = both_ways(base, app, cached, headers)
        assert served
        same_answer(fast, slow)
        assert not served_from_memory(base, app, cached, headers, monkeypatch)
        assert LISTENER.current() is None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE accounts_apitoken ENABLE TRIGGER tiles_hit_forget")
        LISTENER.close()  # listens again at the next hit
    remembered(base, app, cached, headers, monkeypatch)


def test_every_table_a_hit_is_decided_from_tells_the_workers_when_it_changes():
    """A table added to the caller's SQL without its trigger in sql/hit_notify.sql would let a
    worker answer from memory after a change to it: the hit statement's tables (and the session
    table the shortcut reads) must each carry one."""
    statement = hit_shortcut._statement()
    named = set(re.findall(r"\bWITH\s+([a-z_]+)\s+AS\b", statement, flags=re.IGNORECASE))  # CTEs
    read = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", statement, flags=re.IGNORECASE)) - named
    read |= {Session._meta.db_table}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'tiles\\_hit\\_forget%%'"
        )
        watched = {row[0] for row in cursor.fetchall()}
    assert read >= {"accounts_membership", "accounts_apitoken", "tiles_tilecacheentry", "django_session"}
    assert read <= watched, f"no tiles_hit_forget trigger on {sorted(read - watched)}"
