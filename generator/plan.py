"""How many sessions start in each simulated hour, and whose they are.

Human sessions follow each country's local daily and weekly rhythm; crawlers visit
around the clock; a few scrapers run at random moments. The plan is cheap to build (a
few numbers per country) and answers "which sessions start in hour h" on demand, so a
shard (one simulated day) never needs the rest of the period in memory.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random

from generator import audience
from generator.agents import CRAWLERS
from generator.browser import HOUR_MS, Network
from generator.config import GeneratorConfig
from generator.journeys import CRAWLER, HUMAN, SCRAPER, Knobs, SessionSpec
from generator.randomness import derive, fraction, rng_for

# Measured averages (see docs/generator.md): valid events per human session and per
# scraper session. They turn `--events` into a number of sessions.
EVENTS_PER_HUMAN_SESSION = 4.56
EVENTS_PER_SCRAPER_SESSION = 375
CRAWLER_SHARE_OF_BOT_EVENTS = 0.6
DAY_HOURS = 24


def poisson(rng: Random, mean: float) -> int:
    """A Poisson-distributed count (normal approximation for large means)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass(frozen=True)
class CountryPlan:
    country: audience.Country
    sessions: float  # over the whole period
    shape_total: float  # sum of hourly traffic shape over the period
    population: int


class TrafficPlan:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.start_ms = int(config.start.timestamp()) * 1000
        self.stop_ms = int(config.stop.timestamp()) * 1000
        self.hours = config.days * DAY_HOURS
        bot_events = config.events * config.bot_share
        human_events = config.events * max(0.0, 1 - config.bot_share - config.invalid_share)
        human_sessions = human_events / (1 + config.duplicate_share) / EVENTS_PER_HUMAN_SESSION
        self.countries = [
            self.country_plan(country, human_sessions * country.weight)
            for country in audience.COUNTRIES
        ]
        self.crawler_visits_per_hour = bot_events * CRAWLER_SHARE_OF_BOT_EVENTS / self.hours
        scrapers = round(
            bot_events * (1 - CRAWLER_SHARE_OF_BOT_EVENTS) / EVENTS_PER_SCRAPER_SESSION
        )
        self.scrapers_by_hour: dict[int, list[int]] = defaultdict(list)
        for number in range(scrapers):
            self.scrapers_by_hour[int(fraction(self.seed, SCRAPER, number) * self.hours)].append(
                number
            )
        # Each valid event has this chance of a broken item next to it, so that invalid
        # lines are about `invalid_share` of all lines.
        valid_share = max(1e-9, 1 - config.invalid_share)
        human_share = max(1e-9, 1 - config.bot_share)
        self.knobs = Knobs(
            seed=self.seed,
            invalid_probability=config.invalid_share / valid_share / human_share,
            network=Network(
                late_probability=config.late_share / max(1e-9, 1 - config.bot_share),
                duplicate_probability=config.duplicate_share / 1.1,  # 10 % re-sent twice
                window_end_ms=self.stop_ms,
            ),
        )

    def country_plan(self, country: audience.Country, sessions: float) -> CountryPlan:
        shape_total = sum(
            audience.traffic_shape(country, self.hour_start_ms(hour)) for hour in range(self.hours)
        )
        return CountryPlan(country, sessions, shape_total, audience.population(sessions))

    def hour_start_ms(self, hour: int) -> int:
        return self.start_ms + hour * HOUR_MS

    def shard_hours(self, day: int) -> range:
        return range(day * DAY_HOURS, (day + 1) * DAY_HOURS)

    def sessions_in_hour(self, hour: int) -> Iterator[SessionSpec]:
        """The sessions starting in `hour`, in a fixed order."""
        hour_start = self.hour_start_ms(hour)
        for plan in self.countries:
            code = plan.country.code
            rng = rng_for(self.seed, HUMAN, hour, code)
            expected = plan.sessions * audience.traffic_shape(plan.country, hour_start)
            for number in range(poisson(rng, expected / plan.shape_total)):
                yield SessionSpec(
                    kind=HUMAN,
                    start_ms=hour_start + rng.randrange(HOUR_MS),
                    country=code,
                    index=audience.pick_visitor_index(rng, plan.population),
                    population=plan.population,
                    seed=derive(self.seed, HUMAN, hour, code, number),
                )
        rng = rng_for(self.seed, CRAWLER, hour)
        weights = [crawler.weight for crawler in CRAWLERS]
        for number in range(poisson(rng, self.crawler_visits_per_hour)):
            yield SessionSpec(
                kind=CRAWLER,
                start_ms=hour_start + rng.randrange(HOUR_MS),
                country="",
                index=rng.choices(range(len(CRAWLERS)), weights)[0],
                population=0,
                seed=derive(self.seed, CRAWLER, hour, number),
            )
        for number in self.scrapers_by_hour.get(hour, ()):
            yield SessionSpec(
                kind=SCRAPER,
                start_ms=hour_start + int(fraction(self.seed, SCRAPER, "minute", number) * HOUR_MS),
                country="",
                index=number,
                population=0,
                seed=derive(self.seed, SCRAPER, number),
            )
