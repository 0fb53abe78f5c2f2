"""The bytes of cached tiles a worker has already read, so a hit need not read them again.

A cached tile of 1M interventions is 5-85 KB of gzip, stored out of line (TOAST) in
tiles_tilecacheentry: reading and sending it is half of a hit's database time. The worker
keeps what it read, with the row's version (its id and xmin, which change with every store or
replacement); the hit statement then sends the bytes only when the row is not that version
any more (sql/cache_hit.sql). The database stays the only judge of what is current: purges
and rebuilds need no message to the workers.

Bounded by RONDE_TILE_HIT_MEMORY_MB per worker (least recently used first out; 0: off).
"""

import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings

TileKey = tuple[int, str, int, int, int, str]  # community, layer, z, x, y, variant


class Held(NamedTuple):
    entry_id: int
    version: str  # the row's xmin
    data: bytes


class HeldTiles:
    def __init__(self) -> None:
        self._items: OrderedDict[TileKey, Held] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # gthread workers share it between threads
        # Which community a credential (token or user, community asked for) reads: only a
        # guess for the lookup, the hit statement decides (a wrong guess costs the bytes).
        self._community: dict[tuple[object, str | None], int] = {}

    def get(self, credential: tuple[object, str | None], tile: tuple[str, int, int, int, str]) -> Held | None:
        with self._lock:
            community = self._community.get(credential)
            if community is None:
                return None
            held = self._items.get((community, *tile))
            if held is not None:
                self._items.move_to_end((community, *tile))
            return held

    def put(
        self,
        credential: tuple[object, str | None],
        community: int,
        tile: tuple[str, int, int, int, str],
        held: Held,
    ) -> None:
        limit = int(settings.RONDE_TILE_HIT_MEMORY_MB * 1024 * 1024)
        if len(held.data) > limit:
            return
        key = (community, *tile)
        with self._lock:
            if len(self._community) > 10_000:
                self._community.clear()
            self._community[credential] = community
            old = self._items.pop(key, None)
            self._size += len(held.data) - (len(old.data) if old else 0)
            self._items[key] = held
            while self._size > limit:
                _key, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.data)

    @property
    def size(self) -> int:
        return self._size


HELD = HeldTiles()
