"""The device behind a User-Agent: type, OS and browser, by ua-parser (pinned, with its
bundled rules, ``ua-parser-builtins``). Imported on the first analytics request only;
about 50 ms to import and 0.5-1 ms a parse here (results cached per User-Agent)."""

from __future__ import annotations

from functools import lru_cache

from chalicelib.analytics.domain import Device, DeviceType

MOBILE_OS = frozenset({"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Tizen"})
TABLET_WORDS = ("ipad", "tablet", "kindle", "nexus 7", "nexus 9", "nexus 10", "sm-t", "sm-x")
NAME_MAX = 40


@lru_cache(maxsize=2048)
def parse(user_agent: str | None) -> Device:
    """The device of ``user_agent``; crawlers (ua-parser's ``Spider``) are ``bot``."""
    if not user_agent:
        return Device(DeviceType.OTHER)
    from ua_parser import parse as parse_ua

    result = parse_ua(user_agent[:1024])
    device_family = (result.device.family if result.device else "") or ""
    os_family = (result.os.family if result.os else None) or "Other"
    browser = (result.user_agent.family if result.user_agent else None) or "Other"
    lowered = user_agent.lower()
    if device_family == "Spider":
        kind = DeviceType.BOT
    elif any(word in device_family.lower() or word in lowered for word in TABLET_WORDS) or (
        os_family == "Android" and "mobile" not in lowered
    ):
        kind = DeviceType.TABLET
    elif os_family in MOBILE_OS or "mobile" in lowered:
        kind = DeviceType.MOBILE
    elif os_family in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora"):
        kind = DeviceType.DESKTOP
    else:
        kind = DeviceType.OTHER
    return Device(kind, os=os_family[:NAME_MAX], browser=browser[:NAME_MAX])
