"""What shoppers type into the search box.

Queries come from four sources: category words (English and Vietnamese), a popular
product's model name, a brand, and things the shop does not sell. Some are typed with a
typo, odd capitals or extra spaces, as people do. Whether a query finds anything is decided
by the catalog's search, so `results_count` is always consistent with the catalog.
"""

from __future__ import annotations

from random import Random

from generator import catalog
from generator.catalog import Category

CATEGORY_QUERIES: dict[str, tuple[str, ...]] = {
    "laptops": (
        "laptop",
        "laptop gaming",
        "laptop văn phòng",
        "macbook",
        "thinkpad",
        "gaming laptop",
        "laptop dell",
        "macbook pro",
    ),
    "desktops": ("mini pc", "pc gaming", "mac mini", "imac", "desktop"),
    "monitors": (
        "monitor",
        "màn hình",
        "màn hình gaming",
        "monitor 4k",
        "màn hình 4k",
        "odyssey",
        "ultrasharp",
        "27 inch monitor",
    ),
    "keyboards": (
        "bàn phím cơ",
        "mechanical keyboard",
        "keychron",
        "wireless keyboard",
        "bàn phím không dây",
        "bàn phím",
    ),
    "mice": (
        "chuột không dây",
        "gaming mouse",
        "mx master",
        "chuột gaming",
        "mouse",
        "logitech mouse",
    ),
    "headsets": (
        "tai nghe",
        "headphones noise cancelling",
        "airpods",
        "tai nghe gaming",
        "sony wh-1000xm5",
        "tai nghe bluetooth",
    ),
    "storage": (
        "ssd 1tb",
        "nvme",
        "ssd",
        "ổ cứng di động",
        "hdd 4tb",
        "samsung 990 pro",
        "portable ssd",
        "usb 128gb",
    ),
    "networking": ("router wifi 6", "wifi mesh", "router", "switch 8 port", "mesh wifi"),
    "components": (
        "rtx 4070",
        "rtx 4060",
        "ram ddr5",
        "ryzen 7",
        "cpu intel",
        "card đồ họa",
        "vga",
        "psu 850w",
        "case",
    ),
    "accessories": (
        "usb c hub",
        "webcam",
        "laptop stand",
        "sạc nhanh",
        "power bank",
        "balo laptop",
        "microphone",
    ),
}

# The shop does not sell these: zero-result searches the owner should see.
UNSOLD_QUERIES: tuple[str, ...] = (
    "máy in",
    "printer",
    "iphone 16",
    "ps5",
    "playstation 5",
    "xbox controller",
    "tivi",
    "máy ảnh canon",
    "apple watch",
    "ipad pro",
    "nintendo switch",
    "loa bluetooth",
    "camera an ninh",
    "máy chiếu",
)


def model_query(rng: Random, category: Category) -> str:
    """Two or three consecutive words of a popular product's name, e.g. "mx master 3s"."""
    products = catalog.products_in(category.slug)
    product = products[min(len(products) - 1, int(rng.expovariate(0.25)))]
    words = product.name.lower().replace('"', "").split()
    length = min(len(words), rng.choice((2, 2, 3)))
    start = rng.randrange(len(words) - length + 1)
    return " ".join(words[start : start + length])


def with_typo(rng: Random, query: str) -> str:
    """Swap two neighbouring letters or drop one."""
    if len(query) < 4:
        return query
    position = rng.randrange(1, len(query) - 1)
    if rng.random() < 0.5:
        return query[:position] + query[position + 1 :]
    return query[:position] + query[position + 1] + query[position] + query[position + 2 :]


def typed(rng: Random, query: str) -> str:
    """How the query lands in the box: mostly lower case, sometimes capitals or spaces."""
    draw = rng.random()
    if draw < 0.06:
        return query.title()
    if draw < 0.09:
        return query.upper()
    if draw < 0.14:
        return f" {query.replace(' ', '  ')} "
    return query


def pick_query(rng: Random, interest: Category) -> str:
    source = rng.choices(("category", "model", "brand", "unsold"), (0.45, 0.33, 0.12, 0.10))[0]
    if source == "category":
        query = rng.choice(CATEGORY_QUERIES[interest.slug])
    elif source == "model":
        query = model_query(rng, interest)
    elif source == "brand":
        query = rng.choice(catalog.products_in(interest.slug)).brand.lower()
    else:
        query = rng.choice(UNSOLD_QUERIES)
    if rng.random() < 0.04:
        query = with_typo(rng, query)
    return typed(rng, query)
