"""Who visits the shop and when: countries, daily and weekly rhythm, visitors.

A visitor is a pure function of (run seed, country, index): the same index always has the
same anonymous id, browser, clock skew and customer account, so a visitor picked again on
another day is a returning visitor with the same `anonymous_id`. No visitor table is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from generator.agents import HUMAN_AGENTS, Agent, sdk_device_type
from generator.randomness import derive, fraction, rng_for, uuid4, weighted


@dataclass(frozen=True)
class Country:
    code: str
    weight: float  # share of human sessions
    utc_offset_minutes: int  # one zone per country is enough for a daily rhythm
    device_mix: tuple[float, float, float]  # desktop, mobile, tablet


COUNTRIES: tuple[Country, ...] = (
    Country("VN", 0.42, 7 * 60, (0.30, 0.64, 0.06)),
    Country("US", 0.14, -6 * 60, (0.50, 0.42, 0.08)),
    Country("SG", 0.07, 8 * 60, (0.45, 0.50, 0.05)),
    Country("JP", 0.04, 9 * 60, (0.48, 0.46, 0.06)),
    Country("KR", 0.03, 9 * 60, (0.45, 0.50, 0.05)),
    Country("AU", 0.04, 10 * 60, (0.47, 0.44, 0.09)),
    Country("GB", 0.04, 0, (0.46, 0.45, 0.09)),
    Country("DE", 0.04, 60, (0.55, 0.38, 0.07)),
    Country("FR", 0.02, 60, (0.50, 0.42, 0.08)),
    Country("IN", 0.04, 5 * 60 + 30, (0.30, 0.67, 0.03)),
    Country("TH", 0.03, 7 * 60, (0.32, 0.63, 0.05)),
    Country("MY", 0.03, 8 * 60, (0.38, 0.57, 0.05)),
    Country("PH", 0.02, 8 * 60, (0.30, 0.66, 0.04)),
    Country("ID", 0.02, 7 * 60, (0.28, 0.68, 0.04)),
    Country("CA", 0.02, -5 * 60, (0.50, 0.42, 0.08)),
)
COUNTRY_BY_CODE = {country.code: country for country in COUNTRIES}
DEVICES = ("desktop", "mobile", "tablet")

# Relative traffic by local hour: quiet nights, a lunch bump, an evening peak.
DIURNAL: tuple[float, ...] = (
    0.35, 0.20, 0.12, 0.08, 0.07, 0.10, 0.25, 0.50, 0.80, 1.00, 1.05, 1.10,
    1.15, 1.05, 1.00, 1.00, 1.05, 1.10, 1.20, 1.40, 1.55, 1.60, 1.30, 0.80,
)  # fmt: skip
# Relative traffic by local weekday, Monday first: shoppers browse more at weekends.
WEEKLY: tuple[float, ...] = (1.00, 0.97, 0.97, 1.00, 0.95, 1.12, 1.18)

SESSIONS_PER_VISITOR = 1.35  # over the simulated period, on average
LOYAL_SHARE_OF_VISITORS = 0.05
LOYAL_SHARE_OF_SESSIONS = 0.25


@dataclass(frozen=True, slots=True)
class Visitor:
    country: Country
    index: int
    anonymous_id: str
    user_agent: str
    device_type: str  # as the SDK derives it from the User-Agent
    clock_skew_ms: int  # the device clock minus true time
    customer_id: str | None  # the shop's account id when the visitor has one
    remembers_login: float  # chance a session starts already signed in
    is_loyal: bool


def population(sessions: float) -> int:
    """How many distinct visitors a country's `sessions` come from."""
    return max(1, round(sessions / SESSIONS_PER_VISITOR))


def loyal_count(visitors: int) -> int:
    return max(1, round(visitors * LOYAL_SHARE_OF_VISITORS))


def pick_visitor_index(rng: Random, visitors: int) -> int:
    """A quarter of sessions come from the few loyal visitors, who return often."""
    if rng.random() < LOYAL_SHARE_OF_SESSIONS:
        return rng.randrange(loyal_count(visitors))
    return rng.randrange(visitors)


def is_registered(seed: int, country: str, index: int, loyal: bool) -> bool:
    return fraction(seed, "registered", country, index) < (0.65 if loyal else 0.18)


def customer_id(seed: int, country: str, index: int, loyal: bool) -> str | None:
    """The account id; 15 % of account holders also shop from a second device (index − 1)."""
    if not is_registered(seed, country, index, loyal):
        return None
    owner = index
    if (
        index > 0
        and fraction(seed, "second-device", country, index) < 0.15
        and is_registered(seed, country, index - 1, loyal)
    ):
        owner = index - 1
    return f"cus_{derive(seed, 'customer', country, owner) % 16**12:012x}"


def clock_skew_ms(rng: Random) -> int:
    """Most clocks are synced; some drift by minutes or hours, a few are days off."""
    draw = rng.random()
    sign = 1 if rng.random() < 0.5 else -1
    if draw < 0.82:
        return round(rng.gauss(0, 800))
    if draw < 0.94:
        return sign * rng.randrange(10_000, 600_000)
    if draw < 0.99:
        return sign * rng.randrange(600_000, 3 * 3_600_000)
    return sign * rng.randrange(86_400_000, 2 * 86_400_000)


def pick_agent(rng: Random, country: Country) -> str:
    device = weighted(rng, DEVICES, country.device_mix)
    agents: list[Agent] = [
        agent
        for agent in HUMAN_AGENTS[device]
        if not agent.countries or country.code in agent.countries
    ]
    return weighted(rng, agents, [agent.weight for agent in agents]).user_agent


def visitor(seed: int, country: Country, index: int, visitors: int) -> Visitor:
    rng = rng_for(seed, "visitor", country.code, index)
    loyal = index < loyal_count(visitors)
    user_agent = pick_agent(rng, country)
    return Visitor(
        country=country,
        index=index,
        # The SDK makes a version-7 id at the first visit; a visitor here is a function of
        # its index, not of a first visit, so its id is random: the warehouse's
        # anonymous_id indexes see no time order (the harder case for them).
        anonymous_id=uuid4(rng),
        user_agent=user_agent,
        device_type=sdk_device_type(user_agent),
        clock_skew_ms=clock_skew_ms(rng),
        customer_id=customer_id(seed, country.code, index, loyal),
        remembers_login=0.6 if loyal else 0.35,
        is_loyal=loyal,
    )


def traffic_shape(country: Country, hour_start_ms: int) -> float:
    """Relative traffic of a UTC hour for visitors of `country`, in their local time."""
    local_ms = hour_start_ms + country.utc_offset_minutes * 60_000
    local_hour = (local_ms // 3_600_000) % 24
    local_weekday = (local_ms // 86_400_000 + 3) % 7  # 1970-01-01 was a Thursday
    return DIURNAL[local_hour] * WEEKLY[local_weekday]
