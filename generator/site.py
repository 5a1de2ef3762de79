"""The shop's web site: page URLs and titles, acquisition channels, payment providers.

Channels are what the warehouse must recover from the first event of a session: UTM
parameters on the landing URL and the document referrer. Payment providers send the
visitor back with their own domain as referrer; the warehouse must not count those as a
new traffic source (SPEC §6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from random import Random
from urllib.parse import quote_plus, urlencode

from generator.catalog import Category, Product
from generator.randomness import token, weighted

SHOP_ORIGIN = "https://shop.example"
SHOP_NAME = "Example Tech"

HOME, CATEGORY, PRODUCT = "home", "category", "product"


def url(path: str, query: Sequence[tuple[str, str]] = ()) -> str:
    return f"{SHOP_ORIGIN}{path}" + (f"?{urlencode(query)}" if query else "")


def home_page() -> tuple[str, str]:
    return url("/"), f"{SHOP_NAME} – Laptops, PC Parts & Accessories"


def category_page(category: Category) -> tuple[str, str]:
    return url(f"/c/{category.slug}"), f"{category.name} | {SHOP_NAME}"


def product_page(product: Product) -> tuple[str, str]:
    return url(f"/p/{product.product_id}"), f"{product.name} | {SHOP_NAME}"


def search_page(query: str) -> tuple[str, str]:
    return f"{SHOP_ORIGIN}/search?q={quote_plus(query)}", f"Search: {query} | {SHOP_NAME}"


def plain_page(path: str, title: str) -> tuple[str, str]:
    return url(path), f"{title} | {SHOP_NAME}"


@dataclass(frozen=True)
class Campaign:
    name: str
    categories: tuple[str, ...]  # empty: the campaign lands on the home page
    terms: tuple[str, ...] = ()  # paid search keywords


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("brand_search", (), ("example tech", "example tech shop")),
    Campaign("laptops_generic", ("laptops",), ("buy laptop", "laptop deals", "laptop gia re")),
    Campaign(
        "gaming_gear",
        ("mice", "keyboards", "headsets", "monitors"),
        ("gaming mouse", "mechanical keyboard", "gaming headset", "144hz monitor"),
    ),
    Campaign("pc_build", ("components", "storage"), ("rtx 4070", "ryzen 7800x3d", "nvme ssd")),
    Campaign(
        "work_from_home",
        ("monitors", "accessories", "networking", "headsets"),
        ("usb c hub", "webcam", "wifi router", "office monitor"),
    ),
)
EMAIL_CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("weekly_deals", ()),
    Campaign("new_arrivals", ("laptops", "monitors", "components")),
    Campaign("back_in_stock", ("components", "storage")),
)


@dataclass(frozen=True)
class Landing:
    """Where a session enters the site and what the browser reports about how it got there."""

    kind: str  # home | category | product
    categories: tuple[str, ...]  # restricts the landing page's category, when not empty
    query: tuple[tuple[str, str], ...]  # UTM and click-id parameters on the landing URL
    referrer: str | None


@dataclass(frozen=True)
class Channel:
    name: str  # for documentation and tests; never sent
    weight: float
    landing_mix: tuple[float, float, float]  # home, category, product
    build: Callable[[Random, str], Landing]  # the landing's UTM parameters and referrer
    intent_bias: dict[str, float] = field(default_factory=dict)
    countries: tuple[str, ...] = ()
    loyal_factor: float = 1.0  # loyal visitors come more (or less) often this way


def organic(referrers: tuple[str, ...]) -> Callable[[Random, str], Landing]:
    def build(rng: Random, _: str) -> Landing:
        return Landing("", (), (), rng.choice(referrers))

    return build


def google_organic(rng: Random, country: str) -> Landing:
    vietnamese = country == "VN" and rng.random() < 0.3
    return Landing(
        "", (), (), "https://www.google.com.vn/" if vietnamese else "https://www.google.com/"
    )


def paid_search(source: str, click_id: str, referrer: str) -> Callable[[Random, str], Landing]:
    def build(rng: Random, _: str) -> Landing:
        campaign = rng.choice(CAMPAIGNS)
        query = (
            ("utm_source", source),
            ("utm_medium", "cpc"),
            ("utm_campaign", campaign.name),
            ("utm_term", rng.choice(campaign.terms)),
            (
                click_id,
                token(rng, 22, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            ),
        )
        kind = HOME if not campaign.categories else rng.choice((CATEGORY, PRODUCT))
        return Landing(kind, campaign.categories, query, referrer)

    return build


def social(referrers: tuple[str, ...], facebook: bool) -> Callable[[Random, str], Landing]:
    def build(rng: Random, _: str) -> Landing:
        query = (
            (
                (
                    "fbclid",
                    "IwAR"
                    + token(
                        rng, 28, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
                    ),
                ),
            )
            if facebook
            else ()
        )
        return Landing("", (), query, rng.choice(referrers))

    return build


def paid_social(source: str, referrer: str) -> Callable[[Random, str], Landing]:
    def build(rng: Random, _: str) -> Landing:
        campaign = rng.choice(CAMPAIGNS[1:])
        query = (
            ("utm_source", source),
            ("utm_medium", "paid_social"),
            ("utm_campaign", campaign.name),
            ("utm_content", rng.choice(("carousel", "video_15s", "single_image"))),
        )
        return Landing("", campaign.categories, query, referrer)

    return build


def email(rng: Random, _: str) -> Landing:
    campaign = rng.choice(EMAIL_CAMPAIGNS)
    query = (("utm_source", "newsletter"), ("utm_medium", "email"), ("utm_campaign", campaign.name))
    # Web mail opens links with a referrer; desktop and mobile mail apps do not.
    referrer = "https://mail.google.com/" if rng.random() < 0.3 else None
    return Landing("", campaign.categories, query, referrer)


REFERRAL_SITES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("https://tinhte.vn/thread/danh-gia-laptop-van-phong-2024.3812234/", ("VN",)),
    ("https://voz.vn/t/tu-van-build-pc-gaming-tam-30-trieu.912345/", ("VN",)),
    ("https://www.techradar.com/news/best-laptops", ()),
    ("https://www.tomshardware.com/reviews/best-picks-for-ssds,3269.html", ()),
    ("https://www.rtings.com/monitor/reviews/best/by-usage/gaming", ()),
    ("https://www.notebookcheck.net/Top-10-Laptops.html", ()),
)


def referral(rng: Random, country: str) -> Landing:
    sites = [site for site, countries in REFERRAL_SITES if not countries or country in countries]
    return Landing("", (), (), rng.choice(sites))


def affiliate(rng: Random, country: str) -> Landing:
    source = "accesstrade" if country == "VN" else "awin"
    query = (
        ("utm_source", source),
        ("utm_medium", "affiliate"),
        ("utm_campaign", f"partner_{rng.randrange(100, 140)}"),
    )
    return Landing("", (), query, None)


def display(rng: Random, _: str) -> Landing:
    query = (("utm_source", "google"), ("utm_medium", "display"), ("utm_campaign", "remarketing"))
    referrer = rng.choice(("https://googleads.g.doubleclick.net/", "https://vnexpress.net/", None))
    return Landing("", (), query, referrer)


def direct(_: Random, __: str) -> Landing:
    return Landing("", (), (), None)


SEARCH_ENGINE_INTENT = {"research": 1.2}
PAID_SEARCH_INTENT = {"research": 1.3, "buy": 1.4, "bounce": 0.9}
SOCIAL_INTENT = {"bounce": 1.5, "buy": 0.4}
PAID_SOCIAL_INTENT = {"bounce": 1.6, "buy": 0.5}
OTHER_SOCIAL = ("https://www.tiktok.com/", "https://www.youtube.com/", "https://t.co/")

CHANNELS: tuple[Channel, ...] = (
    Channel("direct", 0.20, (0.65, 0.15, 0.20), direct, {"buy": 1.4}, loyal_factor=2.2),
    Channel("organic_google", 0.24, (0.12, 0.33, 0.55), google_organic, SEARCH_ENGINE_INTENT),
    Channel(
        "organic_bing",
        0.025,
        (0.12, 0.33, 0.55),
        organic(("https://www.bing.com/",)),
        SEARCH_ENGINE_INTENT,
    ),
    Channel(
        "organic_coccoc",
        0.03,
        (0.12, 0.33, 0.55),
        organic(("https://coccoc.com/",)),
        SEARCH_ENGINE_INTENT,
        countries=("VN",),
    ),
    Channel(
        "paid_google",
        0.11,
        (0.0, 0.5, 0.5),
        paid_search("google", "gclid", "https://www.google.com/"),
        PAID_SEARCH_INTENT,
        loyal_factor=0.5,
    ),
    Channel(
        "paid_bing",
        0.015,
        (0.0, 0.5, 0.5),
        paid_search("bing", "msclkid", "https://www.bing.com/"),
        PAID_SEARCH_INTENT,
        loyal_factor=0.5,
    ),
    Channel(
        "social_facebook",
        0.07,
        (0.2, 0.2, 0.6),
        social(("https://l.facebook.com/", "https://m.facebook.com/"), facebook=True),
        SOCIAL_INTENT,
    ),
    Channel(
        "social_other",
        0.04,
        (0.2, 0.2, 0.6),
        social(OTHER_SOCIAL, facebook=False),
        SOCIAL_INTENT,
    ),
    Channel(
        "social_reddit",
        0.01,
        (0.1, 0.2, 0.7),
        social(("https://www.reddit.com/",), facebook=False),
        {"research": 1.4},
    ),
    Channel(
        "paid_social_facebook",
        0.05,
        (0.1, 0.4, 0.5),
        paid_social("facebook", "https://m.facebook.com/"),
        PAID_SOCIAL_INTENT,
    ),
    Channel(
        "paid_social_tiktok",
        0.02,
        (0.1, 0.4, 0.5),
        paid_social("tiktok", "https://www.tiktok.com/"),
        PAID_SOCIAL_INTENT,
    ),
    Channel(
        "email",
        0.05,
        (0.4, 0.3, 0.3),
        email,
        {"buy": 2.2, "bounce": 0.8},
        loyal_factor=3.0,
    ),
    Channel("referral", 0.06, (0.05, 0.1, 0.85), referral, {"research": 1.5}),
    Channel("affiliate", 0.02, (0.0, 0.2, 0.8), affiliate, {"buy": 1.5}),
    Channel("display", 0.015, (0.2, 0.3, 0.5), display, {"bounce": 1.8, "buy": 0.3}),
)


def pick_channel(rng: Random, country: str, loyal: bool) -> Channel:
    options = [
        channel for channel in CHANNELS if not channel.countries or country in channel.countries
    ]
    weights = [channel.weight * (channel.loyal_factor if loyal else 1.0) for channel in options]
    return weighted(rng, options, weights)


def landing_for(rng: Random, channel: Channel, country: str) -> Landing:
    landing = channel.build(rng, country)
    kind = landing.kind or weighted(rng, (HOME, CATEGORY, PRODUCT), channel.landing_mix)
    return Landing(kind, landing.categories, landing.query, landing.referrer)


@dataclass(frozen=True)
class PaymentMethod:
    name: str
    referrer: str | None  # None: no redirect (cash on delivery)
    success_rate: float

    def return_page(self, rng: Random, order_id: str, paid: bool) -> tuple[str, str]:
        """The page the provider sends the visitor back to, with the provider's parameters."""
        if self.name == "vnpay":
            query = [
                ("vnp_TxnRef", order_id),
                ("vnp_ResponseCode", "00" if paid else "24"),
                ("vnp_TransactionNo", str(rng.randrange(10**7, 10**8))),
            ]
            return url("/checkout/vnpay-return", query), order_title(paid)
        if self.name == "momo":
            query = [
                ("partnerCode", "MOMO"),
                ("orderId", order_id),
                ("resultCode", "0" if paid else "1006"),
            ]
            return url("/checkout/momo-return", query), order_title(paid)
        if not paid:
            return plain_page("/checkout", "Checkout")[0] + "?canceled=1", order_title(paid)
        if self.name == "stripe":
            query = [("order_id", order_id), ("session_id", "cs_live_" + token(rng, 24))]
        elif self.name == "paypal":
            query = [
                ("order_id", order_id),
                ("token", "EC-" + token(rng, 17, "0123456789ABCDEFGHJKLMNPRSTUVWXYZ")),
                ("PayerID", token(rng, 13, "0123456789ABCDEFGHJKLMNPRSTUVWXYZ")),
            ]
        else:
            query = [("order_id", order_id)]
        return url("/checkout/success", query), order_title(paid)


def order_title(paid: bool) -> str:
    return f"{'Thank you for your order' if paid else 'Payment not completed'} | {SHOP_NAME}"


STRIPE = PaymentMethod("stripe", "https://checkout.stripe.com/", 0.93)
PAYPAL = PaymentMethod("paypal", "https://www.paypal.com/", 0.92)
VNPAY = PaymentMethod("vnpay", "https://pay.vnpay.vn/", 0.88)
MOMO = PaymentMethod("momo", "https://payment.momo.vn/", 0.9)
CASH_ON_DELIVERY = PaymentMethod("cod", None, 1.0)


def pick_payment(rng: Random, country: str) -> PaymentMethod:
    if country == "VN":
        return weighted(rng, (VNPAY, MOMO, CASH_ON_DELIVERY, STRIPE), (0.3, 0.3, 0.3, 0.1))
    return weighted(rng, (STRIPE, PAYPAL), (0.6, 0.4))
