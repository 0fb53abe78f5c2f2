"""Travel modes: which street kinds each may use, one-way rules and speed.

Costs in the graph are metres; durations are metres / speed (a constant per mode keeps
distances and durations consistent between the matrix, the solver and the legs).
"""

from dataclasses import dataclass

from geo.models import StreetKind


@dataclass(frozen=True)
class Profile:
    name: str
    kinds: tuple[str, ...]
    # True: a one-way segment can only be travelled in its digitised direction.
    oneway: bool
    speed_m_s: float

    def seconds(self, metres: float) -> int:
        return round(metres / self.speed_m_s)


PROFILES: dict[str, Profile] = {
    # 4.5 km/h; pedestrians ignore one-way signs.
    "walk": Profile("walk", (StreetKind.WALK, StreetKind.BOTH), False, 4.5 / 3.6),
    # 25 km/h: a service van's average in town, stops and lights included.
    "drive": Profile("drive", (StreetKind.DRIVE, StreetKind.BOTH), True, 25 / 3.6),
    # 15 km/h on the roads, one-way streets respected.
    "bike": Profile("bike", (StreetKind.DRIVE, StreetKind.BOTH), True, 15 / 3.6),
}


def profile_get(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown travel mode {name!r}; expected one of {sorted(PROFILES)}") from None
