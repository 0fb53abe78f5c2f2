"""What a worker remembers of the cached-tile hits it answered: callers and tiles' bytes.

Tiles: a cached tile of 1M interventions is 5-85 KB of gzip, stored out of line (TOAST) in
tiles_tilecacheentry: reading and sending it is half of a hit's database time. The worker keeps
what it read, with the row's version (its id and xmin, which change with every store or
replacement); the hit statement then sends the bytes only when the row is not that version
any more (sql/cache_hit.sql).

Callers: who a credential (an API token or a session key, with the community asked for) is
in which community, with which role, as the database said.

Both are used two ways. While the worker listens to the database's notifications
(hit_listener.py), an entry remembered in that listening session is trusted: the hit is
answered with no database round trip, because any change to it would have been notified and
forgotten first. Otherwise (not listening, or remembered across a notification) an entry is a
guess only: the hit statement decides, and the bytes are not sent again if still current.

Bounded by RONDE_TILE_HIT_MEMORY_MB per worker (least recently used first out; 0: off).
"""

import datetime as dt
import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings

TileKey = tuple[int, str, int, int, int, str]  # community, layer, z, x, y, variant
TileId = tuple[str, int, int, int, str]  # layer, z, x, y, variant
# ("token", key, community asked for) or ("session", session key, community asked for)
Credential = tuple[str, str, str | None]
MAX_CALLERS = 10_000


class Caller(NamedTuple):
    community_id: int
    role: str
    expires: dt.datetime | None  # a session's or an API token's expiry
    session: int  # the listening session it was read in (0: none, a guess only)


class Held(NamedTuple):
    entry_id: int
    version: str  # the row's xmin
    data: bytes
    etag: str
    features: int
    session: int


class HitMemory:
    def __init__(self) -> None:
        self._items: OrderedDict[TileKey, Held] = OrderedDict()
        self._size = 0
        self._callers: dict[Credential, Caller] = {}
        self._lock = threading.Lock()  # gthread workers share it between threads

    def caller(self, credential: Credential) -> Caller | None:
        return self._callers.get(credential)

    def tile(self, community_id: int, tile: TileId) -> Held | None:
        key = (community_id, *tile)
        with self._lock:
            held = self._items.get(key)
            if held is not None:
                self._items.move_to_end(key)
            return held

    def remember(self, credential: Credential, caller: Caller, tile: TileId, held: Held) -> None:
        limit = int(settings.RONDE_TILE_HIT_MEMORY_MB * 1024 * 1024)
        if len(held.data) > limit:
            return
        key = (caller.community_id, *tile)
        with self._lock:
            if len(self._callers) >= MAX_CALLERS:
                self._callers.clear()
            self._callers[credential] = caller
            old = self._items.pop(key, None)
            self._size += len(held.data) - (len(old.data) if old else 0)
            self._items[key] = held
            while self._size > limit:
                _key, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.data)

    def forget(self, payload: str) -> None:
        """A notification from the database (sql/hit_notify.sql); unknown ones forget everything."""
        with self._lock:
            what, _, community = payload.partition(":")
            if what == "tiles" and community.isdigit():
                for key in [k for k in self._items if k[0] == int(community)]:
                    self._size -= len(self._items.pop(key).data)
                return
            if what != "callers":
                self._items.clear()
                self._size = 0
            if what != "tiles":
                self._callers.clear()

    @property
    def size(self) -> int:
        return self._size


HELD = HitMemory()
