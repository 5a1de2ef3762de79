"""The synthetic shop's catalog: categories, products, prices, listings and search.

The catalog is fixed (it does not depend on the seed), so product ids are stable across
runs and the warehouse's `dim_product` keeps the same keys. Product lines with variants
expand into about 200 products. Prices are in USD; a product is on sale (10 % off) in weeks
picked by a hash of its id, so `latest_price` moves over time.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

CURRENCY = "USD"
SALE_DISCOUNT = 0.10
SALE_WEEK_SHARE = 0.15


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    weight: float  # share of browsing interest
    keywords: tuple[str, ...]  # search words (English and Vietnamese) that mean this category


CATEGORIES: tuple[Category, ...] = (
    Category("laptops", "Laptops", 0.20, ("laptop", "laptops", "notebook", "may tinh xach tay")),
    Category("desktops", "Desktops", 0.05, ("desktop", "pc", "may tinh ban", "mini pc")),
    Category("monitors", "Monitors", 0.12, ("monitor", "monitors", "man hinh", "display")),
    Category("keyboards", "Keyboards", 0.10, ("keyboard", "keyboards", "ban phim")),
    Category("mice", "Mice", 0.12, ("mouse", "mice", "chuot")),
    Category("headsets", "Headsets", 0.10, ("headset", "headphones", "tai nghe", "earbuds")),
    Category("storage", "Storage", 0.10, ("storage", "o cung", "drive")),
    Category("networking", "Networking", 0.05, ("router", "wifi", "networking", "mang")),
    Category("components", "Components", 0.10, ("component", "linh kien", "pc parts")),
    Category("accessories", "Accessories", 0.06, ("accessories", "phu kien")),
)
CATEGORY_BY_SLUG = {category.slug: category for category in CATEGORIES}

# Extra search words for a product line's tags.
TAG_WORDS: dict[str, tuple[str, ...]] = {
    "gaming": ("gaming", "game"),
    "wireless": ("wireless", "khong day", "bluetooth"),
    "mechanical": ("mechanical", "co"),
    "office": ("office", "van phong", "business"),
    "ssd": ("ssd", "nvme"),
    "hdd": ("hdd",),
    "portable": ("portable", "external", "di dong"),
    "4k": ("4k", "uhd"),
    "gpu": ("gpu", "graphics", "card do hoa", "vga"),
    "cpu": ("cpu", "processor"),
    "ram": ("ram", "memory", "ddr5"),
    "mesh": ("mesh",),
    "noise-cancelling": ("anc", "noise cancelling", "chong on"),
}


@dataclass(frozen=True)
class ProductLine:
    category: str
    brand: str
    model: str
    price: float
    variants: tuple[tuple[str, float], ...] = (("", 0.0),)  # (suffix, price added)
    tags: tuple[str, ...] = ()


def line(
    category: str,
    brand: str,
    model: str,
    price: float,
    variants: Sequence[tuple[str, float]] = (("", 0.0),),
    tags: Sequence[str] = (),
) -> ProductLine:
    return ProductLine(category, brand, model, price, tuple(variants), tuple(tags))


RAM_SSD = (("16GB/512GB", 0.0), ("32GB/1TB", 400.0))
PRODUCT_LINES: tuple[ProductLine, ...] = (
    # laptops
    line("laptops", "Dell", "XPS 13 9340", 1099, RAM_SSD, ["office"]),
    line("laptops", "Dell", "Inspiron 15 3530", 549, (("8GB/512GB", 0), ("16GB/1TB", 150))),
    line("laptops", "Dell", "Latitude 7440", 1249, tags=["office"]),
    line("laptops", "HP", "Pavilion 15", 649, (("8GB/512GB", 0), ("16GB/512GB", 100))),
    line("laptops", "HP", "EliteBook 840 G11", 1399, tags=["office"]),
    line("laptops", "HP", "Victus 16 RTX 4060", 999, tags=["gaming"]),
    line("laptops", "Lenovo", "ThinkPad X1 Carbon Gen 12", 1699, RAM_SSD, ["office"]),
    line("laptops", "Lenovo", "ThinkPad E14 Gen 6", 799, tags=["office"]),
    line("laptops", "Lenovo", "IdeaPad Slim 5 14", 699),
    line("laptops", "Lenovo", "Legion 5 Pro RTX 4070", 1499, tags=["gaming"]),
    line("laptops", "Apple", "MacBook Air 13 M3", 1099, (("8GB/256GB", 0), ("16GB/512GB", 400))),
    line("laptops", "Apple", "MacBook Air 15 M3", 1299),
    line("laptops", "Apple", "MacBook Pro 14 M4", 1599, (("16GB/512GB", 0), ("24GB/1TB", 400))),
    line("laptops", "ASUS", "Zenbook 14 OLED", 899, tags=["office"]),
    line("laptops", "ASUS", "ROG Zephyrus G14", 1599, tags=["gaming"]),
    line("laptops", "ASUS", "TUF Gaming A15", 949, tags=["gaming"]),
    line("laptops", "ASUS", "Vivobook 15", 499),
    line("laptops", "Acer", "Aspire 5", 549),
    line("laptops", "Acer", "Swift Go 14", 799, tags=["office"]),
    line("laptops", "Acer", "Nitro V 15", 799, tags=["gaming"]),
    line("laptops", "MSI", "Katana 15", 999, tags=["gaming"]),
    line("laptops", "MSI", "Modern 14", 549, tags=["office"]),
    line("laptops", "Microsoft", "Surface Laptop 7", 1199, tags=["office"]),
    # desktops
    line("desktops", "Dell", "OptiPlex 7010 Micro", 749, tags=["office"]),
    line("desktops", "Dell", "XPS Desktop 8960", 1499),
    line("desktops", "HP", "Pavilion Desktop TP01", 649),
    line("desktops", "HP", "Victus 15L", 999, tags=["gaming"]),
    line("desktops", "Lenovo", "ThinkCentre M70q Tiny", 699, tags=["office"]),
    line("desktops", "Lenovo", "Legion Tower 5", 1499, tags=["gaming"]),
    line("desktops", "Apple", "Mac mini M4", 599, (("16GB/256GB", 0), ("24GB/512GB", 400))),
    line("desktops", "Apple", "iMac 24 M4", 1299),
    line("desktops", "ASUS", "ROG Strix G16CH", 1799, tags=["gaming"]),
    line("desktops", "Acer", "Aspire TC-1780", 549),
    line("desktops", "MSI", "MAG Infinite S3", 1199, tags=["gaming"]),
    line("desktops", "ASUS", "NUC 14 Pro", 549, tags=["office"]),
    # monitors
    line("monitors", "Dell", 'UltraSharp U2723QE 27" 4K', 579, tags=["4k", "office"]),
    line("monitors", "Dell", 'S2721DGF 27" QHD 165Hz', 329, tags=["gaming"]),
    line("monitors", "Dell", 'P2422H 24" FHD', 199, tags=["office"]),
    line("monitors", "LG", 'UltraGear 27GP850-B 27" QHD', 349, tags=["gaming"]),
    line("monitors", "LG", '27UP850N 27" 4K', 399, tags=["4k"]),
    line("monitors", "LG", 'UltraGear 34GP63A 34" Curved', 399, tags=["gaming"]),
    line("monitors", "Samsung", 'Odyssey G5 27"', 279, tags=["gaming"]),
    line("monitors", "Samsung", 'Odyssey G7 32"', 599, tags=["gaming"]),
    line("monitors", "Samsung", 'ViewFinity S8 27" 4K', 449, tags=["4k"]),
    line("monitors", "ASUS", 'TUF Gaming VG27AQ 27"', 279, tags=["gaming"]),
    line("monitors", "ASUS", 'ProArt PA278QV 27"', 329),
    line("monitors", "BenQ", 'GW2480 24"', 139, tags=["office"]),
    line("monitors", "BenQ", 'PD2705U 27" 4K', 499, tags=["4k"]),
    line("monitors", "AOC", '24G2 24" 144Hz', 159, tags=["gaming"]),
    line("monitors", "AOC", 'Q27G3XMN 27" Mini-LED', 299, tags=["gaming"]),
    line("monitors", "ViewSonic", 'VX2758-2KP 27"', 249),
    line("monitors", "Gigabyte", 'M27Q 27"', 299, tags=["gaming"]),
    line("monitors", "MSI", 'MAG 274QRF 27"', 299, tags=["gaming"]),
    line("monitors", "Apple", 'Studio Display 27" 5K', 1599),
    line("monitors", "Xiaomi", 'Curved Gaming Monitor 34"', 349, tags=["gaming"]),
    # keyboards
    line("keyboards", "Logitech", "MX Keys S", 109, tags=["wireless", "office"]),
    line("keyboards", "Logitech", "MX Mechanical", 169, tags=["wireless", "mechanical"]),
    line("keyboards", "Logitech", "K380 Multi-Device", 39, tags=["wireless"]),
    line("keyboards", "Logitech", "G915 TKL", 229, tags=["wireless", "mechanical", "gaming"]),
    line("keyboards", "Logitech", "G Pro X TKL", 199, tags=["mechanical", "gaming"]),
    line(
        "keyboards",
        "Keychron",
        "K2 Pro",
        109,
        (("Brown Switch", 0), ("Red Switch", 0)),
        ["wireless", "mechanical"],
    ),
    line("keyboards", "Keychron", "Q1 Pro", 199, tags=["wireless", "mechanical"]),
    line("keyboards", "Keychron", "K8", 89, tags=["wireless", "mechanical"]),
    line("keyboards", "Razer", "BlackWidow V4", 169, tags=["mechanical", "gaming"]),
    line("keyboards", "Razer", "Huntsman Mini", 119, tags=["mechanical", "gaming"]),
    line("keyboards", "Corsair", "K70 RGB Pro", 169, tags=["mechanical", "gaming"]),
    line("keyboards", "Corsair", "K65 Plus Wireless", 159, tags=["wireless", "mechanical"]),
    line("keyboards", "SteelSeries", "Apex Pro TKL", 209, tags=["mechanical", "gaming"]),
    line("keyboards", "HyperX", "Alloy Origins", 109, tags=["mechanical", "gaming"]),
    line("keyboards", "Akko", "3068B Plus", 89, tags=["wireless", "mechanical"]),
    line("keyboards", "Microsoft", "Ergonomic Keyboard", 59, tags=["office"]),
    line("keyboards", "Apple", "Magic Keyboard with Touch ID", 149, tags=["wireless"]),
    line("keyboards", "DareU", "EK87", 35, tags=["mechanical", "gaming"]),
    line("keyboards", "E-Dra", "EK387", 29, tags=["mechanical", "gaming"]),
    # mice
    line(
        "mice",
        "Logitech",
        "MX Master 3S",
        99,
        (("Graphite", 0), ("Pale Grey", 0)),
        ["wireless", "office"],
    ),
    line("mice", "Logitech", "MX Anywhere 3S", 79, tags=["wireless"]),
    line("mice", "Logitech", "G502 X Plus", 159, tags=["wireless", "gaming"]),
    line("mice", "Logitech", "G Pro X Superlight 2", 159, tags=["wireless", "gaming"]),
    line("mice", "Logitech", "M331 Silent Plus", 24.99, tags=["wireless"]),
    line("mice", "Logitech", "G102 Lightsync", 19.99, tags=["gaming"]),
    line("mice", "Razer", "DeathAdder V3 Pro", 149, tags=["wireless", "gaming"]),
    line("mice", "Razer", "Basilisk V3", 69, tags=["gaming"]),
    line("mice", "Razer", "Viper V3 Pro", 159, tags=["wireless", "gaming"]),
    line("mice", "SteelSeries", "Rival 3", 29.99, tags=["gaming"]),
    line("mice", "Corsair", "M65 RGB Ultra", 79, tags=["gaming"]),
    line("mice", "Microsoft", "Bluetooth Mouse", 24.99, tags=["wireless", "office"]),
    line("mice", "Apple", "Magic Mouse", 79, tags=["wireless"]),
    line("mice", "Zowie", "EC2-C", 69, tags=["gaming"]),
    line("mice", "Glorious", "Model O 2", 79, tags=["gaming"]),
    line("mice", "DareU", "EM901", 19.99, tags=["wireless", "gaming"]),
    # headsets
    line("headsets", "Sony", "WH-1000XM5", 399, tags=["wireless", "noise-cancelling"]),
    line("headsets", "Sony", "WH-CH720N", 149, tags=["wireless", "noise-cancelling"]),
    line("headsets", "Bose", "QuietComfort Ultra", 429, tags=["wireless", "noise-cancelling"]),
    line("headsets", "Apple", "AirPods Pro 2", 249, tags=["wireless", "noise-cancelling"]),
    line("headsets", "Apple", "AirPods Max", 549, tags=["wireless", "noise-cancelling"]),
    line("headsets", "Jabra", "Evolve2 65", 249, tags=["wireless", "office"]),
    line("headsets", "Logitech", "Zone Vibe 100", 99, tags=["wireless", "office"]),
    line("headsets", "Logitech", "G Pro X 2 Lightspeed", 249, tags=["wireless", "gaming"]),
    line("headsets", "HyperX", "Cloud III", 99, tags=["gaming"]),
    line("headsets", "HyperX", "Cloud Alpha Wireless", 199, tags=["wireless", "gaming"]),
    line("headsets", "Razer", "BlackShark V2 Pro", 199, tags=["wireless", "gaming"]),
    line("headsets", "SteelSeries", "Arctis Nova 7", 179, tags=["wireless", "gaming"]),
    line("headsets", "Corsair", "HS80 RGB Wireless", 149, tags=["wireless", "gaming"]),
    line("headsets", "Sennheiser", "Momentum 4", 349, tags=["wireless", "noise-cancelling"]),
    line("headsets", "JBL", "Quantum 400", 99, tags=["gaming"]),
    line("headsets", "Samsung", "Galaxy Buds3 Pro", 249, tags=["wireless", "noise-cancelling"]),
    # storage
    line(
        "storage",
        "Samsung",
        "990 Pro NVMe SSD",
        119,
        (("1TB", 0), ("2TB", 70), ("4TB", 220)),
        ["ssd"],
    ),
    line("storage", "Samsung", "870 EVO SATA SSD", 59, (("500GB", 0), ("1TB", 30)), ["ssd"]),
    line("storage", "WD", "Black SN850X NVMe SSD", 99, (("1TB", 0), ("2TB", 60)), ["ssd"]),
    line("storage", "WD", "Blue SN580 NVMe SSD 1TB", 69, tags=["ssd"]),
    line("storage", "Crucial", "P3 Plus NVMe SSD 1TB", 69, tags=["ssd"]),
    line("storage", "Crucial", "T700 Gen5 NVMe SSD 2TB", 269, tags=["ssd"]),
    line("storage", "Kingston", "NV2 NVMe SSD 1TB", 59, tags=["ssd"]),
    line("storage", "Seagate", "BarraCuda HDD 2TB", 69, tags=["hdd"]),
    line("storage", "Seagate", "IronWolf NAS HDD 4TB", 109, tags=["hdd"]),
    line("storage", "WD", "Red Plus NAS HDD 4TB", 109, tags=["hdd"]),
    line(
        "storage",
        "Samsung",
        "T7 Shield Portable SSD",
        109,
        (("1TB", 0), ("2TB", 60)),
        ["ssd", "portable"],
    ),
    line("storage", "SanDisk", "Extreme Portable SSD 1TB", 99, tags=["ssd", "portable"]),
    line("storage", "WD", "My Passport 2TB", 79, tags=["hdd", "portable"]),
    line("storage", "Seagate", "One Touch 5TB", 139, tags=["hdd", "portable"]),
    line("storage", "SanDisk", "Ultra USB 3.0 Flash Drive 128GB", 14.99, tags=["portable"]),
    line("storage", "Kingston", "DataTraveler Exodia 64GB", 8.99, tags=["portable"]),
    line("storage", "Samsung", "EVO Plus microSD 256GB", 24.99),
    # networking
    line("networking", "TP-Link", "Archer AX55 Wi-Fi 6 Router", 89),
    line("networking", "TP-Link", "Archer AX73 Wi-Fi 6 Router", 139),
    line("networking", "TP-Link", "Deco X50 Mesh 3-Pack", 249, tags=["mesh"]),
    line("networking", "TP-Link", "TL-SG108 8-Port Switch", 24.99),
    line("networking", "ASUS", "RT-AX86U Pro Router", 249, tags=["gaming"]),
    line("networking", "ASUS", "ZenWiFi XT9 Mesh 2-Pack", 349, tags=["mesh"]),
    line("networking", "Netgear", "Nighthawk RAX50 Router", 199),
    line("networking", "Netgear", "Orbi RBK752 Mesh", 299, tags=["mesh"]),
    line("networking", "Ubiquiti", "UniFi U6 Lite Access Point", 99),
    line("networking", "Ubiquiti", "UniFi Dream Machine Pro", 379),
    line("networking", "MikroTik", "hAP ax3", 139),
    line("networking", "Tenda", "AC10 Router", 29.99),
    line("networking", "Mercusys", "MR70X Wi-Fi 6 Router", 39.99),
    line("networking", "D-Link", "DGS-108 8-Port Switch", 29.99),
    line("networking", "TP-Link", "Archer T3U Plus USB Adapter", 24.99, tags=["wireless"]),
    # components
    line("components", "AMD", "Ryzen 5 7600", 199, tags=["cpu"]),
    line("components", "AMD", "Ryzen 7 7800X3D", 449, tags=["cpu", "gaming"]),
    line("components", "AMD", "Ryzen 9 7950X", 549, tags=["cpu"]),
    line("components", "Intel", "Core i5-14400F", 199, tags=["cpu"]),
    line("components", "Intel", "Core i7-14700K", 389, tags=["cpu"]),
    line("components", "Intel", "Core i9-14900K", 549, tags=["cpu"]),
    line("components", "ASUS", "Dual GeForce RTX 4060 8GB", 299, tags=["gpu", "gaming"]),
    line("components", "MSI", "Ventus GeForce RTX 4070 Super 12GB", 599, tags=["gpu", "gaming"]),
    line(
        "components",
        "Gigabyte",
        "Windforce GeForce RTX 4080 Super 16GB",
        999,
        tags=["gpu", "gaming"],
    ),
    line("components", "ASUS", "TUF GeForce RTX 4090 24GB", 1799, tags=["gpu", "gaming"]),
    line("components", "Sapphire", "Pulse Radeon RX 7800 XT 16GB", 499, tags=["gpu", "gaming"]),
    line("components", "PowerColor", "Fighter Radeon RX 7600 8GB", 269, tags=["gpu", "gaming"]),
    line("components", "Corsair", "Vengeance DDR5 32GB (2x16GB) 6000", 109, tags=["ram"]),
    line("components", "Kingston", "Fury Beast DDR5 32GB (2x16GB) 5600", 99, tags=["ram"]),
    line("components", "G.Skill", "Trident Z5 RGB DDR5 64GB (2x32GB)", 219, tags=["ram"]),
    line("components", "Crucial", "DDR4 16GB 3200", 39, tags=["ram"]),
    line("components", "ASUS", "ROG Strix B650-A Gaming WiFi", 259, tags=["gaming"]),
    line("components", "MSI", "MAG B760 Tomahawk WiFi", 189),
    line("components", "Gigabyte", "B650 Aorus Elite AX", 219),
    line("components", "ASRock", "B650M Pro RS", 139),
    line("components", "Corsair", "RM850x 850W PSU", 139),
    line("components", "Seasonic", "Focus GX-750 PSU", 119),
    line("components", "Cooler Master", "MWE 650 Bronze V2 PSU", 69),
    line("components", "Noctua", "NH-D15 CPU Cooler", 119),
    line("components", "DeepCool", "AK620 CPU Cooler", 59),
    line("components", "Arctic", "Liquid Freezer III 280", 99),
    line("components", "NZXT", "H5 Flow Case", 94),
    line("components", "Lian Li", "O11 Dynamic EVO Case", 169),
    line("components", "Fractal Design", "North Case", 139),
    line("components", "Corsair", "4000D Airflow Case", 104),
    # accessories
    line("accessories", "Anker", "7-in-1 USB-C Hub", 49.99),
    line("accessories", "Ugreen", "6-in-1 USB-C Hub", 34.99),
    line("accessories", "Logitech", "C920 HD Pro Webcam", 69, tags=["office"]),
    line("accessories", "Logitech", "Brio 4K Webcam", 199, tags=["4k"]),
    line("accessories", "Razer", "Kiyo Pro Webcam", 149),
    line("accessories", "Elgato", "Stream Deck MK.2", 149),
    line("accessories", "Logitech", "Yeti USB Microphone", 129),
    line("accessories", "Rode", "NT-USB Mini Microphone", 99),
    line("accessories", "SteelSeries", "QcK Mouse Pad Large", 19.99, tags=["gaming"]),
    line("accessories", "Razer", "Gigantus V2 XXL Mouse Pad", 29.99, tags=["gaming"]),
    line("accessories", "Rain Design", "mStand Laptop Stand", 49.99),
    line("accessories", "Ugreen", "Adjustable Laptop Stand", 29.99),
    line("accessories", "Anker", "737 Power Bank 24000mAh", 109, tags=["portable"]),
    line("accessories", "Anker", "Nano 65W USB-C Charger", 44.99),
    line("accessories", "Ugreen", "Nexode 100W USB-C Charger", 69),
    line("accessories", "Belkin", "USB-C to USB-C Cable 2m", 19.99),
    line("accessories", "Ugreen", "HDMI 2.1 Cable 2m", 14.99),
    line("accessories", "Targus", 'CityLite Laptop Backpack 15.6"', 69),
    line("accessories", "Tomtoc", 'Laptop Sleeve 14"', 29.99),
    line("accessories", "Kensington", "Slim Laptop Lock", 39.99, tags=["office"]),
    line("accessories", "Logitech", "R500s Presentation Remote", 39.99, tags=["office"]),
    line("accessories", "APC", "Back-UPS 600VA", 89),
    line("accessories", "Ergotron", "LX Monitor Arm", 189),
    line("accessories", "Wacom", "Intuos Small Drawing Tablet", 79),
)


@dataclass(frozen=True, eq=False)  # one object per product: identity is equality
class Product:
    product_id: str
    name: str
    category: Category
    brand: str
    price: float  # list price in USD
    popularity: float  # relative interest, within the whole shop
    search_words: frozenset[str]

    def ecom(self, day: date) -> dict[str, Any]:
        """The contract's `ecom` fields for this product as the SDK sends them."""
        return {
            "product_id": self.product_id,
            "product_name": self.name,
            "category": self.category.name,
            "brand": self.brand,
            "currency": CURRENCY,
            "price": price_on(self, day),
        }


def normalize(text: str) -> str:
    """Lower-case ASCII words: what search matches on (Vietnamese diacritics removed)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.findall(r"[a-z0-9]+", ascii_text))


def words(text: str) -> set[str]:
    return set(normalize(text).split())


def slug(text: str) -> str:
    return normalize(text).replace(" ", "-")


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) that depends only on `parts` (not on the seed or the run)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def expand(product_line: ProductLine) -> list[tuple[str, str, float, set[str]]]:
    category = CATEGORY_BY_SLUG[product_line.category]
    base_words = words(f"{product_line.brand} {product_line.model}")
    for keyword in category.keywords:
        base_words |= words(keyword)
    for tag in product_line.tags:
        for phrase in TAG_WORDS[tag]:
            base_words |= words(phrase)
    products = []
    for suffix, extra in product_line.variants:
        name = f"{product_line.brand} {product_line.model} {suffix}".strip()
        products.append((name, slug(name), round(product_line.price + extra, 2), base_words))
    return products


@cache
def catalog() -> tuple[Product, ...]:
    """Every product, most popular first within each category's own ranking."""
    products = []
    for product_line in PRODUCT_LINES:
        category = CATEGORY_BY_SLUG[product_line.category]
        for name, product_id, price, search_words in expand(product_line):
            # A stable, skewed interest: a few products in each category sell most, and
            # cheaper ones draw more visitors than flagships.
            rank_score = stable_fraction("popularity", product_id)
            affordability = (100 / (price + 100)) ** 0.35
            popularity = category.weight * (0.05 + rank_score**3) * affordability
            products.append(
                Product(
                    product_id=product_id,
                    name=name,
                    category=category,
                    brand=product_line.brand,
                    price=price,
                    popularity=popularity,
                    search_words=frozenset(search_words | words(name)),
                )
            )
    return tuple(sorted(products, key=lambda product: -product.popularity))


@cache
def products_in(category_slug: str) -> tuple[Product, ...]:
    return tuple(product for product in catalog() if product.category.slug == category_slug)


def is_on_sale(product: Product, day: date) -> bool:
    year, week, _ = day.isocalendar()
    return stable_fraction("sale", product.product_id, year, week) < SALE_WEEK_SHARE


def price_on(product: Product, day: date) -> float:
    if not is_on_sale(product, day):
        return product.price
    return round(round(product.price * (1 - SALE_DISCOUNT)) - 0.01, 2)


def search(query: str) -> tuple[Product, ...]:
    """Products whose search words contain every word of the query, most popular first."""
    return search_normalized(normalize(query))


@lru_cache(maxsize=4096)
def search_normalized(query: str) -> tuple[Product, ...]:
    wanted = query.split()
    if not wanted:
        return ()
    return tuple(
        product for product in catalog() if all(word in product.search_words for word in wanted)
    )


@cache
def featured(day: date) -> tuple[Product, ...]:
    """The home page's product strip on a day: products on sale first, then best sellers."""
    on_sale = [product for product in catalog() if is_on_sale(product, day)][:4]
    best = [product for product in catalog() if product not in on_sale]
    return tuple((on_sale + best)[:12])
