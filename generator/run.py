"""Running the generator: simulated days (shards) in order or in parallel processes.

Each shard is one simulated day of session starts and is independent of the others (its
own random streams, its own object names), so the lake is the same byte for byte whatever
the number of worker processes. Within a shard, sessions are simulated hour by hour and
their requests go straight to the lake; a request an offline device holds back is only
remembered as (time, session, position) and simulated again when its hour comes, so
memory does not grow with the number of events.
"""

from __future__ import annotations

import heapq
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from itertools import count, repeat

from generator.browser import Delivery
from generator.config import GenerationSummary, GeneratorConfig
from generator.journeys import SessionSpec, SessionTraffic, simulate
from generator.lake_writer import LakeSink, ObjectNamer
from generator.plan import TrafficPlan
from generator.randomness import rng_for, uuid4
from shared.contract import utc_iso
from shared.enrichment import RequestContext, process_events
from shared.lake import Lake, open_lake

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class GeneratorError(RuntimeError):
    """The generator produced something the ingest code did not treat as intended."""


def datetime_from_us(microseconds: int) -> datetime:
    return EPOCH + timedelta(microseconds=microseconds)


def record_session(summary: GenerationSummary, traffic: SessionTraffic) -> None:
    if traffic.is_bot:
        summary.bot_sessions += 1
    else:
        summary.sessions += 1
    summary.orders += traffic.orders
    summary.revenue += traffic.revenue


def record_events(
    summary: GenerationSummary, traffic: SessionTraffic, delivery: Delivery, types: list[str]
) -> None:
    """Counts for the valid events of one delivery (`types`: their event types)."""
    if delivery.is_copy:
        summary.duplicate_lines += len(types)
        return
    summary.events_by_type.update(types)
    if delivery.is_late:
        summary.late_events += len(types)
    if traffic.is_bot:
        summary.bot_events += len(types)
    if traffic.clock_skewed:
        summary.clock_skewed_events += len(types)


class Intake:
    """The ingest API's processing of one request, applied to a simulated delivery."""

    def __init__(self, config: GeneratorConfig, shard: int, sink: LakeSink) -> None:
        self.config = config
        self.sink = sink
        self.summary = sink.summary
        self.request_ids = rng_for(config.seed, "request-ids", shard)

    def deliver(self, traffic: SessionTraffic, delivery: Delivery) -> None:
        received_at = datetime_from_us(delivery.received_us)
        context = RequestContext(
            received_at=received_at,
            request_id=uuid4(self.request_ids),
            user_agent=traffic.user_agent,
            viewer_country=traffic.country,
        )
        result = process_events(
            delivery.payload(), context, self.config.limits, self.config.enrichment
        )
        for outcome, expected in zip(result.outcomes, delivery.valid, strict=True):
            if outcome.accepted != expected:
                verdict = "accepted" if outcome.accepted else f"refused ({outcome.detail})"
                raise GeneratorError(
                    f"the ingest code {verdict} item {outcome.index} of a request the generator "
                    f"built as {'valid' if expected else 'invalid'}: the contract changed? "
                    f"item: {delivery.items[outcome.index]!r:.500}"
                )
        self.sink.add(received_at, result.lake_events, result.invalid_records)
        summary = self.summary
        summary.requests += 1
        summary.valid_lines += result.accepted
        summary.invalid_lines += result.rejected
        summary.invalid_by_reason.update(record["reason"] for record in result.invalid_records)
        summary.note_received(utc_iso(received_at))
        record_events(
            summary, traffic, delivery, [event["event_type"] for event in result.lake_events]
        )


def run_shard(lake: Lake, config: GeneratorConfig, shard: int) -> GenerationSummary:
    """Simulate one day of session starts into the lake."""
    plan = TrafficPlan(config)
    summary = GenerationSummary()
    namer = ObjectNamer(config.seed, shard)
    with LakeSink(lake, namer, summary, config.events_per_object) as sink:
        intake = Intake(config, shard, sink)
        held_back: list[tuple[int, int, SessionSpec, int]] = []
        order = count()

        def deliver_held_back(before_us: int | None) -> None:
            while held_back and (before_us is None or held_back[0][0] < before_us):
                received_us, _, spec, position = heapq.heappop(held_back)
                # Partitions before this delivery's hour get nothing more from this shard.
                sink.close_partitions_before(datetime_from_us(received_us))
                traffic = simulate(spec, plan.knobs)
                intake.deliver(traffic, traffic.deliveries[position])

        for hour in plan.shard_hours(shard):
            for spec in plan.sessions_in_hour(hour):
                traffic = simulate(spec, plan.knobs)
                record_session(summary, traffic)
                for position, delivery in enumerate(traffic.deliveries):
                    if delivery.is_late:
                        item = (delivery.received_us, next(order), spec, position)
                        heapq.heappush(held_back, item)
                    else:
                        intake.deliver(traffic, delivery)
            # Sessions of later hours are received later: earlier partitions are complete
            # once the held-back requests due before this hour's end are in.
            hour_end_us = plan.hour_start_ms(hour + 1) * 1000
            deliver_held_back(hour_end_us)
            sink.close_partitions_before(datetime_from_us(hour_end_us))
        deliver_held_back(None)
    return summary


def run_shard_at(lake_url: str, config: GeneratorConfig, shard: int) -> GenerationSummary:
    return run_shard(open_lake(lake_url), config, shard)


def generate_to_lake(lake: Lake | str, config: GeneratorConfig) -> GenerationSummary:
    """Write the synthetic traffic of `config` into `lake` (a Lake or its URL)."""
    started = time.perf_counter()
    target = open_lake(lake) if isinstance(lake, str) else lake
    shards = range(config.days)
    workers = min(config.workers, config.days)
    if workers == 1:
        results = [run_shard(target, config, shard) for shard in shards]
    else:
        # spawn: workers start clean (no inherited threads or open connections).
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(run_shard_at, repeat(target.url), repeat(config), shards))
    summary = GenerationSummary()
    for result in results:
        summary.merge(result)
    summary.seconds = time.perf_counter() - started
    return summary
