"""Sessions: what a shopper, a crawler or a scraper does on the site, as SDK events.

A session is a pure function of its `SessionSpec` (and the run's knobs): simulating it
again gives the same events and deliveries, which is how late deliveries are produced
when their time comes without keeping them in memory meanwhile.

Shoppers follow an intent (bounce, browse, research, buy) that sets how likely each next
step is, so the funnel thins out the way real ones do: many listing and product views,
fewer carts, fewer checkouts, fewer purchases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import accumulate
from random import Random
from typing import Any
from urllib.parse import urlencode

from generator import audience, catalog, site
from generator.agents import CRAWLERS, MOBILE, SCRAPER_AGENTS, SCRAPER_COUNTRIES, sdk_device_type
from generator.browser import Browser, Delivery, Network, deliveries
from generator.catalog import Category, Product
from generator.invalid import InvalidItems
from generator.queries import pick_query
from generator.randomness import lognormal_ms, rng_for, uuid7, weighted

HUMAN, CRAWLER, SCRAPER = "human", "crawler", "scraper"
LISTING_SIZE = 24
SKEW_THRESHOLD_MS = 60_000


@dataclass(frozen=True, slots=True)
class SessionSpec:
    kind: str  # human | crawler | scraper
    start_ms: int
    country: str
    index: int  # visitor index within the country (humans), crawler or scraper number
    population: int  # visitors in the country (humans)
    seed: int


@dataclass(frozen=True)
class Knobs:
    seed: int
    invalid_probability: float  # per valid event, of a broken item next to it
    network: Network


@dataclass(frozen=True)
class SessionTraffic:
    user_agent: str
    country: str
    is_bot: bool
    deliveries: tuple[Delivery, ...]
    events: int
    orders: int = 0
    revenue: float = 0.0
    clock_skewed: bool = False


@dataclass(frozen=True)
class Intent:
    weight: float
    exit_listing: float  # chance to leave after a listing page
    exit_product: float  # chance to leave after a product page
    search: float  # weight of searching as the next step
    add_to_cart: float  # chance per product page
    go_to_cart: float  # chance to open the cart right after adding
    checkout: float  # chance to check out from the cart
    max_pages: int


INTENTS: dict[str, Intent] = {
    "bounce": Intent(0.30, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1),
    "browse": Intent(0.40, 0.35, 0.40, 0.15, 0.03, 0.35, 0.20, 12),
    "research": Intent(0.24, 0.15, 0.22, 0.35, 0.08, 0.45, 0.35, 25),
    "buy": Intent(0.06, 0.05, 0.08, 0.30, 0.50, 0.80, 0.80, 25),
}

# Dwell times: (median seconds, spread, cap seconds). Caps stay under the SDK's 30-minute
# session timeout, so one simulated session is one `session_id`.
DWELL = {
    "listing": (14.0, 0.8, 600.0),
    "product": (38.0, 0.9, 900.0),
    "search": (9.0, 0.7, 300.0),
    "cart": (20.0, 0.7, 600.0),
    "login": (25.0, 0.5, 300.0),
    "checkout": (60.0, 0.6, 900.0),
    "payment": (70.0, 0.6, 900.0),
    "done": (12.0, 0.8, 300.0),
}
Step = tuple[Callable[..., Any], tuple[Any, ...]] | None


@cache
def cumulative_popularity(categories: tuple[str, ...]) -> list[float]:
    return list(accumulate(product.popularity for product in products_of(categories)))


def popular_pick(rng: Random, categories: tuple[str, ...]) -> Product:
    """A product of `categories` (all when empty), popular ones more often."""
    weights = cumulative_popularity(categories)
    return rng.choices(products_of(categories), cum_weights=weights)[0]


def position_pick(rng: Random, items: Sequence[Product]) -> Product:
    """Tiles near the top of a listing get most clicks."""
    return rng.choices(items, cum_weights=position_weights(len(items)))[0]


@cache
def position_weights(count: int) -> list[float]:
    return list(accumulate(1 / (position + 1) ** 0.8 for position in range(count)))


@cache
def products_of(categories: tuple[str, ...]) -> tuple[Product, ...]:
    if not categories:
        return catalog.catalog()
    return tuple(product for product in catalog.catalog() if product.category.slug in categories)


def ids(products: Sequence[Product]) -> list[str]:
    return [product.product_id for product in products]


def day_of(ms: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + ms // 86_400_000)


@dataclass
class Shopper:
    """One human session: a visitor with an intent, walking the site."""

    spec: SessionSpec
    knobs: Knobs
    rng: Random = field(init=False)
    browser: Browser = field(init=False)

    def __post_init__(self) -> None:
        spec, knobs = self.spec, self.knobs
        self.rng = rng_for(knobs.seed, "session", spec.seed)
        country = audience.COUNTRY_BY_CODE[spec.country]
        self.visitor = audience.visitor(knobs.seed, country, spec.index, spec.population)
        self.day = day_of(spec.start_ms)
        self.channel = site.pick_channel(self.rng, spec.country, self.visitor.is_loyal)
        self.landing = site.landing_for(self.rng, self.channel, spec.country)
        self.intent = self.pick_intent()
        invalid = InvalidItems(rng_for(knobs.seed, "invalid", spec.seed), knobs.invalid_probability)
        self.browser = Browser(
            self.rng,
            session_id=uuid7(self.rng, spec.start_ms + self.visitor.clock_skew_ms),
            anonymous_id=self.visitor.anonymous_id,
            device_type=self.visitor.device_type,
            clock_skew_ms=self.visitor.clock_skew_ms,
            start_ms=spec.start_ms,
            companions=invalid,
        )
        self.interest = self.pick_interest()
        self.cart: list[tuple[Product, int]] = []
        self.pages = 0
        self.last_listing: tuple[str, str, str, list[Product]] | None = None
        self.order_id: str | None = None
        self.orders = 0
        self.revenue = 0.0

    def pick_intent(self) -> str:
        names = list(INTENTS)
        weights = [INTENTS[name].weight * self.channel.intent_bias.get(name, 1.0) for name in names]
        if self.visitor.device_type == MOBILE:
            weights[names.index("buy")] *= 0.8
        return weighted(self.rng, names, weights)

    def pick_interest(self) -> Category:
        if self.landing.categories:
            return catalog.CATEGORY_BY_SLUG[self.rng.choice(self.landing.categories)]
        return weighted(
            self.rng, catalog.CATEGORIES, [category.weight for category in catalog.CATEGORIES]
        )

    @property
    def profile(self) -> Intent:
        return INTENTS[self.intent]

    # ---- the walk ----

    def run(self) -> SessionTraffic:
        customer = self.visitor.customer_id
        if customer and self.rng.random() < self.visitor.remembers_login:
            self.browser.user_id = customer
        step: Step = self.first_step()
        while step is not None:
            handler, args = step
            step = handler(*args)
        self.browser.close(lognormal_ms(self.rng, *DWELL["done"]))
        network_rng = rng_for(self.knobs.seed, "network", self.spec.seed)
        return SessionTraffic(
            user_agent=self.visitor.user_agent,
            country=self.spec.country,
            is_bot=False,
            deliveries=tuple(
                deliveries(
                    self.browser.batches,
                    network_rng,
                    self.knobs.network,
                    clock_skew_ms=self.visitor.clock_skew_ms,
                    mobile=self.visitor.device_type != "desktop",
                    can_be_late=True,
                )
            ),
            events=self.browser.events,
            orders=self.orders,
            revenue=round(self.revenue, 2),
            clock_skewed=abs(self.visitor.clock_skew_ms) > SKEW_THRESHOLD_MS,
        )

    def first_step(self) -> Step:
        if self.landing.kind == site.HOME:
            return self.show_home, ()
        if self.landing.kind == site.CATEGORY:
            return self.show_category, (self.interest,)
        return self.show_product, (popular_pick(self.rng, self.landing.categories),)

    def open(self, url: str, title: str, referrer: str | None = None) -> None:
        """Navigate; the first page carries the landing's UTM parameters and referrer."""
        if self.pages == 0:
            if self.landing.query:
                url += ("&" if "?" in url else "?") + urlencode(self.landing.query)
            referrer = self.landing.referrer
        elif referrer is None:
            referrer = self.browser.page_url
        self.pages += 1
        self.browser.navigate(url, title, referrer, self.rng.randrange(300, 2_500))

    def dwell(self, kind: str) -> None:
        self.browser.wait(lognormal_ms(self.rng, *DWELL[kind]))

    def at_page_limit(self) -> bool:
        return self.pages >= self.profile.max_pages

    # ---- listing pages: home, category, search results ----

    def show_home(self) -> Step:
        url, title = site.home_page()
        return self.show_listing(url, title, "home_featured", list(catalog.featured(self.day)))

    def show_category(self, category: Category) -> Step:
        url, title = site.category_page(category)
        shown = list(catalog.products_in(category.slug)[:LISTING_SIZE])
        return self.show_listing(url, title, f"category_{category.slug}", shown)

    def show_listing(self, url: str, title: str, list_name: str, shown: list[Product]) -> Step:
        self.open(url, title)
        self.browser.track("view", props={"list": list_name, "items": ids(shown)})
        self.last_listing = (url, title, list_name, shown)
        return self.after_listing(list_name, shown)

    def after_listing(self, list_name: str, shown: list[Product]) -> Step:
        self.dwell("listing")
        if self.at_page_limit() or self.rng.random() < self.profile.exit_listing:
            return None
        choice = weighted(
            self.rng,
            ("click", "search", "category", "cart"),
            (0.72 if shown else 0.0, self.profile.search, 0.15, 0.1 if self.cart else 0.0),
        )
        if choice == "click":
            product = position_pick(self.rng, shown)
            self.browser.track("click", ecom=product.ecom(self.day), props={"list": list_name})
            return self.show_product, (product,)
        return self.next_browse_step(choice)

    def next_browse_step(self, choice: str) -> Step:
        if choice == "search":
            return self.show_search, (pick_query(self.rng, self.interest),)
        if choice == "cart":
            return self.show_cart, ()
        if self.rng.random() < 0.6:
            self.interest = weighted(
                self.rng, catalog.CATEGORIES, [category.weight for category in catalog.CATEGORIES]
            )
        return self.show_category, (self.interest,)

    def show_search(self, query: str) -> Step:
        results = catalog.search(query)
        url, title = site.search_page(query)
        self.open(url, title)
        shown = list(results[:LISTING_SIZE])
        self.browser.track("view", props={"list": "search_results", "items": ids(shown)})
        self.browser.track("search", props={"search_query": query, "results_count": len(results)})
        self.last_listing = (url, title, "search_results", shown)
        if results:
            return self.after_listing("search_results", shown)
        self.dwell("search")
        # Nothing found: try other words, browse a category, or give up.
        choice = weighted(self.rng, ("search", "category", "leave"), (0.45, 0.2, 0.35))
        if choice == "leave" or self.at_page_limit():
            return None
        return self.next_browse_step(choice)

    # ---- product detail ----

    def show_product(self, product: Product) -> Step:
        url, title = site.product_page(product)
        self.open(url, title)
        ecom = product.ecom(self.day)
        self.browser.track("view", ecom=ecom)
        self.interest = product.category
        self.dwell("product")
        if self.rng.random() < self.profile.add_to_cart:
            qty = 2 if ecom["price"] < 50 and self.rng.random() < 0.15 else 1
            self.browser.track("add_to_cart", ecom={**ecom, "qty": qty})
            self.cart.append((product, qty))
            if self.rng.random() < self.profile.go_to_cart:
                return self.show_cart, ()
            if product.category.slug in ("laptops", "desktops") and self.rng.random() < 0.4:
                self.interest = catalog.CATEGORY_BY_SLUG[
                    self.rng.choice(("mice", "headsets", "accessories", "monitors"))
                ]
                return self.show_category, (self.interest,)
        if self.at_page_limit() or self.rng.random() < self.profile.exit_product:
            return None
        choice = weighted(
            self.rng,
            ("back", "search", "category", "cart"),
            (0.5, self.profile.search, 0.2, 0.15 if self.cart else 0.0),
        )
        if choice == "back" and self.last_listing is not None:
            url, title, list_name, shown = self.last_listing
            return self.show_listing, (url, title, list_name, shown)
        return self.next_browse_step("category" if choice == "back" else choice)

    # ---- cart, checkout, payment ----

    def show_cart(self) -> Step:
        self.open(*site.plain_page("/cart", "Your cart"))
        self.browser.track("view")
        self.dwell("cart")
        if self.cart and self.rng.random() < 0.12:
            product, qty = self.cart.pop(self.rng.randrange(len(self.cart)))
            self.browser.track("remove_from_cart", ecom={**product.ecom(self.day), "qty": qty})
            self.dwell("cart")
        if self.cart and self.rng.random() < self.profile.checkout:
            return self.show_checkout, ()
        if self.at_page_limit() or self.rng.random() < 0.6:
            return None
        return self.show_category, (self.interest,)

    def show_checkout(self) -> Step:
        customer = self.visitor.customer_id
        if customer and not self.browser.user_id and self.rng.random() < 0.8:
            self.open(*site.plain_page("/account/login", "Sign in"))
            self.browser.track("view")
            self.dwell("login")
            self.browser.user_id = customer  # identify() after signing in
        if self.order_id is None:
            self.order_id = f"ORD-{self.day:%Y%m%d}-{self.rng.getrandbits(40):010X}"
        self.open(*site.plain_page("/checkout", "Checkout"))
        self.browser.track("view")
        self.browser.track(
            "checkout",
            ecom={"order_id": self.order_id},
            props={"items": [product.product_id for product, _ in self.cart]},
        )
        self.dwell("checkout")
        if self.rng.random() < 0.22:
            return None  # shipping costs, second thoughts
        return self.pay(site.pick_payment(self.rng, self.spec.country))

    def pay(self, method: site.PaymentMethod) -> Step:
        assert self.order_id is not None
        if method.referrer is None:
            url, title = method.return_page(self.rng, self.order_id, paid=True)
            self.open(url, title)
            return self.complete_order(paid=True)
        self.browser.leave_site(lognormal_ms(self.rng, *DWELL["payment"]))
        if self.rng.random() < 0.05:
            return None  # closed the tab on the payment page
        paid = self.rng.random() < method.success_rate
        url, title = method.return_page(self.rng, self.order_id, paid)
        self.open(url, title, referrer=method.referrer)
        return self.complete_order(paid)

    def complete_order(self, paid: bool) -> Step:
        self.browser.track("view")
        if not paid:
            self.dwell("done")
            return (self.show_cart, ()) if self.rng.random() < 0.4 else None
        for product, qty in self.cart:
            ecom = {**product.ecom(self.day), "qty": qty, "order_id": self.order_id}
            self.browser.track("purchase", ecom=ecom)
            self.revenue += ecom["price"] * qty
        self.orders += 1
        self.cart, self.order_id = [], None
        self.dwell("done")
        if self.rng.random() < 0.85:
            return None
        return self.show_home, ()


def crawler_visit(spec: SessionSpec, knobs: Knobs) -> SessionTraffic:
    """A search-engine or SEO crawler rendering one page: no cookies, so a new visitor."""
    rng = rng_for(knobs.seed, "crawler", spec.seed)
    crawler = CRAWLERS[spec.index]
    day = day_of(spec.start_ms)
    browser = Browser(
        rng,
        session_id=uuid7(rng, spec.start_ms),
        anonymous_id=uuid7(rng, spec.start_ms),
        device_type=sdk_device_type(crawler.user_agent),
        clock_skew_ms=0,
        start_ms=spec.start_ms,
    )
    page = weighted(rng, (site.PRODUCT, site.CATEGORY, site.HOME), (0.6, 0.3, 0.1))
    if page == site.PRODUCT:
        product = rng.choice(catalog.catalog())
        browser.navigate(*site.product_page(product), None, rng.randrange(500, 3_000))
        browser.track("view", ecom=product.ecom(day))
    else:
        category = rng.choice(catalog.CATEGORIES)
        url, title = site.category_page(category) if page == site.CATEGORY else site.home_page()
        shown = catalog.products_in(category.slug)[:LISTING_SIZE]
        if page == site.HOME:
            shown = catalog.featured(day)
        list_name = f"category_{category.slug}" if page == site.CATEGORY else "home_featured"
        browser.navigate(url, title, None, rng.randrange(500, 3_000))
        browser.track("view", props={"list": list_name, "items": ids(shown)})
    browser.close(rng.randrange(500, 3_000))
    return bot_traffic(spec, knobs, browser, crawler.user_agent, rng.choice(crawler.countries))


def scraper_session(spec: SessionSpec, knobs: Knobs) -> SessionTraffic:
    """A scripted price scraper: every category and product page, a page every ~0.5 s."""
    rng = rng_for(knobs.seed, "scraper", spec.seed)
    user_agent = SCRAPER_AGENTS[spec.index % len(SCRAPER_AGENTS)]
    day = day_of(spec.start_ms)
    browser = Browser(
        rng,
        session_id=uuid7(rng, spec.start_ms),
        anonymous_id=uuid7(rng, spec.start_ms),
        device_type=sdk_device_type(user_agent),
        clock_skew_ms=0,
        start_ms=spec.start_ms,
    )
    target = rng.randrange(150, 600)
    categories = list(catalog.CATEGORIES)
    rng.shuffle(categories)
    while browser.events < target:
        for category in categories:
            url, title = site.category_page(category)
            shown = catalog.products_in(category.slug)
            browser.navigate(url, title, None, rng.randrange(150, 900))
            list_name = f"category_{category.slug}"
            browser.track("view", props={"list": list_name, "items": ids(shown[:LISTING_SIZE])})
            for product in shown:
                browser.navigate(*site.product_page(product), url, rng.randrange(150, 900))
                browser.track("view", ecom=product.ecom(day))
                if browser.events >= target:
                    break
            if browser.events >= target:
                break
    browser.close(rng.randrange(200, 1_000))
    return bot_traffic(spec, knobs, browser, user_agent, rng.choice(SCRAPER_COUNTRIES))


def bot_traffic(
    spec: SessionSpec, knobs: Knobs, browser: Browser, user_agent: str, country: str
) -> SessionTraffic:
    network_rng = rng_for(knobs.seed, "network", spec.kind, spec.seed)
    return SessionTraffic(
        user_agent=user_agent,
        country=country,
        is_bot=True,
        deliveries=tuple(
            deliveries(
                browser.batches,
                network_rng,
                knobs.network,
                clock_skew_ms=0,
                mobile=False,
                can_be_late=False,
            )
        ),
        events=browser.events,
    )


def simulate(spec: SessionSpec, knobs: Knobs) -> SessionTraffic:
    if spec.kind == HUMAN:
        return Shopper(spec, knobs).run()
    if spec.kind == CRAWLER:
        return crawler_visit(spec, knobs)
    return scraper_session(spec, knobs)
