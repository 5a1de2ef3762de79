"""Events the ingest API must refuse, as buggy pages and integrations really send them.

Each maker takes the valid event it rides along with and returns a broken item: an event
type the contract does not know, a search without a query, a negative price, a timestamp
without an offset, an array of 1,500 impressions (over the 32 KB limit), props nested
deeper than allowed, a NUL character, a title cut in the middle of an emoji (a lone
surrogate), a batch element that is not an object. The ingest API's own code decides the
reason it writes to `invalid/`; the generator only checks that it did refuse the item.
Nothing here looks like personal data: refused payloads are kept as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from random import Random
from typing import Any

from generator.catalog import catalog
from generator.randomness import uuid4

Item = dict[str, Any]
FALLBACK_PRODUCT = {"product_id": "logitech-g102-lightsync", "price": 19.99}


def fresh(rng: Random, event: Item, **changes: Any) -> Item:
    """A copy of `event` with its own event id (it is a different event, not a duplicate)."""
    return {**event, "event_id": uuid4(rng), **changes}


def product_of(event: Item) -> Item:
    ecom = event.get("ecom") or {}
    return ecom if ecom.get("price") is not None else FALLBACK_PRODUCT


def unknown_event_type(rng: Random, event: Item) -> Item:
    return fresh(rng, event, event_type="pageview")


def search_without_query(rng: Random, event: Item) -> Item:
    return fresh(rng, event, event_type="search", props={"search_query": "", "results_count": 0})


def negative_price(rng: Random, event: Item) -> Item:
    product = product_of(event)
    ecom = {"product_id": product["product_id"], "price": -product["price"], "qty": 1}
    return fresh(rng, event, event_type="add_to_cart", ecom=ecom)


def lowercase_currency(rng: Random, event: Item) -> Item:
    product = product_of(event)
    ecom = {"product_id": product["product_id"], "currency": "usd", "price": product["price"]}
    return fresh(rng, event, event_type="add_to_cart", ecom=ecom)


def zero_quantity(rng: Random, event: Item) -> Item:
    ecom = {"product_id": product_of(event)["product_id"], "qty": 0}
    return fresh(rng, event, event_type="remove_from_cart", ecom=ecom)


def purchase_without_price(rng: Random, event: Item) -> Item:
    ecom = {"product_id": product_of(event)["product_id"], "qty": 1, "order_id": "ORD-TEST-1"}
    return fresh(rng, event, event_type="purchase", ecom=ecom)


def missing_session(rng: Random, event: Item) -> Item:
    broken = fresh(rng, event)
    del broken["session_id"]
    return broken


def naive_timestamp(rng: Random, event: Item) -> Item:
    # "2025-06-01T10:00:00.123Z" written by a server-side integration as local time.
    return fresh(rng, event, ts=event["ts"][:19].replace("T", " "))


def malformed_event_id(rng: Random, event: Item) -> Item:
    return {**event, "event_id": f"evt_{rng.randrange(10**9)}"}


def not_an_object(rng: Random, _: Item) -> Any:
    return rng.choice((None, "view", 42, ["view"]))


def oversized(rng: Random, event: Item) -> Item:
    # A listing bug that reports the whole catalog, many times over, as impressions.
    ids = [product.product_id for product in catalog()] * 8
    return fresh(rng, event, props={"list": "all_products", "items": ids})


def too_deep(rng: Random, event: Item) -> Item:
    nested: Any = {"value": "ssd"}
    for level in range(12):
        nested = {f"level_{level}": nested}
    return fresh(rng, event, props={"filters": nested})


def nul_character(rng: Random, event: Item) -> Item:
    return fresh(rng, event, page_title=f"{event.get('page_title', 'Shop')}\x00")


def lone_surrogate(rng: Random, event: Item) -> Item:
    # The SDK cuts titles at 1,024 UTF-16 units; a cut inside an emoji leaves half of it.
    return fresh(rng, event, page_title="Flash sale today only \ud83d")


Maker = Callable[[Random, Item], Any]
MAKERS: tuple[tuple[Maker, float], ...] = (
    (unknown_event_type, 10),
    (search_without_query, 6),
    (negative_price, 5),
    (lowercase_currency, 6),
    (zero_quantity, 4),
    (purchase_without_price, 4),
    (missing_session, 8),
    (naive_timestamp, 8),
    (malformed_event_id, 6),
    (not_an_object, 8),
    (oversized, 10),
    (too_deep, 5),
    (nul_character, 10),
    (lone_surrogate, 10),
)
# A lone surrogate can make a strict JSON parser refuse the whole body; alone in its
# request it cannot take valid events down with it.
TRAVELS_ALONE = {lone_surrogate}


class InvalidItems:
    """Adds a broken item next to an event with the given probability."""

    def __init__(self, rng: Random, probability: float) -> None:
        self.rng = rng
        self.probability = probability

    def __call__(self, event: Item) -> Iterable[tuple[Any, bool]]:
        if self.probability <= 0 or self.rng.random() >= self.probability:
            return ()
        maker = self.rng.choices([m for m, _ in MAKERS], [w for _, w in MAKERS])[0]
        return ((maker(self.rng, event), maker in TRAVELS_ALONE),)
