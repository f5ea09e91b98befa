"""A session's device in plain words, from its User-Agent header ("Firefox on Windows").

Deliberately rough: it names the common browsers and systems so a person recognises their
own devices; anything else is an "unknown browser" or "unknown system".
"""

from __future__ import annotations

from flask_babel import gettext as _

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edg/", "Edge"), ("EdgA/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"), ("SamsungBrowser/", "Samsung Internet"), ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"), ("CriOS/", "Chrome"), ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
    ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    text = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in text), None)
    system = next((name for mark, name in _SYSTEMS if mark in text), None)
    if browser is None and system is None:
        return _("Unknown device")
    return _("%(browser)s on %(system)s", browser=browser or _("Unknown browser"),
             system=system or _("unknown system"))
