"""User-Agent strings of the shop's visitors, crawlers and scrapers.

Humans' strings are real-world ones (desktop, mobile and tablet browsers, in-app browsers
popular in Vietnam). Crawlers announce themselves, so the ingest API's User-Agent parsing
flags them; some scrapers use a plain desktop Chrome string, so only their inhuman event
rate gives them away (the warehouse's behavioural bot rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DESKTOP = "desktop"
MOBILE = "mobile"
TABLET = "tablet"

# The SDK's own device detection (sdk/src/index.ts `deviceType`), so `device.type` in the
# generated events is what the real SDK would send for the same User-Agent.
SDK_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.IGNORECASE)
SDK_MOBILE = re.compile(r"Mobi|iPhone", re.IGNORECASE)


def sdk_device_type(user_agent: str) -> str:
    if SDK_TABLET.search(user_agent):
        return TABLET
    if SDK_MOBILE.search(user_agent):
        return MOBILE
    return DESKTOP


@dataclass(frozen=True)
class Agent:
    user_agent: str
    weight: float
    countries: tuple[str, ...] = ()  # empty: anywhere


CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36"
)
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36"
)

DESKTOP_AGENTS: tuple[Agent, ...] = (
    *(Agent(CHROME_WINDOWS.format(v=version), 6.0) for version in (128, 129, 130, 131)),
    *(Agent(CHROME_MAC.format(v=version), 2.0) for version in (129, 130, 131)),
    Agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
        5.0,
    ),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 3.0),
    Agent(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        5.0,
    ),
    Agent("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 1.0),
    Agent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        1.0,
    ),
    Agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "coc_coc_browser/133.0.180 Chrome/127.0.6533.180 Safari/537.36",
        6.0,
        ("VN",),
    ),
)

MOBILE_AGENTS: tuple[Agent, ...] = (
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        10.0,
    ),
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        5.0,
    ),
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        2.0,
    ),
    *(Agent(CHROME_ANDROID.format(v=version), 7.0) for version in (129, 130, 131)),
    Agent(
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 "
        "(KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
        4.0,
    ),
    Agent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/489.0.0.39.102;FBBV/668367286;"
        "FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;"
        "FBOP/5]",
        2.0,
    ),
    Agent(
        "Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.107 Mobile Safari/537.36 "
        "Zalo android/12100665 ZaloTheme/light ZaloLanguage/vn",
        6.0,
        ("VN",),
    ),
    Agent(
        "Mozilla/5.0 (Linux; Android 14; 23129RAA4G) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.81 Mobile Safari/537.36",
        4.0,
        ("VN", "TH", "ID", "MY", "PH", "IN"),
    ),
)

TABLET_AGENTS: tuple[Agent, ...] = (
    Agent(
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1",
        6.0,
    ),
    Agent(
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        3.0,
    ),
    Agent(
        "Mozilla/5.0 (Linux; Android 13; Lenovo TB-X606F) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        1.0,
    ),
)

HUMAN_AGENTS = {DESKTOP: DESKTOP_AGENTS, MOBILE: MOBILE_AGENTS, TABLET: TABLET_AGENTS}


@dataclass(frozen=True)
class Crawler:
    name: str
    user_agent: str
    weight: float
    countries: tuple[str, ...]


CRAWLERS: tuple[Crawler, ...] = (
    Crawler(
        "googlebot-smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        35.0,
        ("US",),
    ),
    Crawler(
        "googlebot-desktop",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
        "+http://www.google.com/bot.html) Chrome/131.0.6778.69 Safari/537.36",
        10.0,
        ("US",),
    ),
    Crawler(
        "bingbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
        15.0,
        ("US",),
    ),
    Crawler(
        "ahrefsbot",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        10.0,
        ("SG", "US"),
    ),
    Crawler(
        "semrushbot",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        8.0,
        ("US",),
    ),
    Crawler(
        "yandexbot",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        5.0,
        ("RU",),
    ),
    Crawler(
        "applebot",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 "
        "(Applebot/0.1; +http://www.apple.com/go/applebot)",
        5.0,
        ("US",),
    ),
    Crawler(
        "gptbot",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)",
        5.0,
        ("US",),
    ),
    Crawler(
        "coccocbot",
        "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)",
        4.0,
        ("VN",),
    ),
    Crawler(
        "petalbot",
        "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
        3.0,
        ("SG",),
    ),
)

# Scripted price scrapers: a headless browser that says so, and one that hides it.
SCRAPER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.6778.85 Safari/537.36",
    CHROME_WINDOWS.format(v=124),
)
SCRAPER_COUNTRIES: tuple[str, ...] = ("US", "DE", "NL", "SG", "VN")
