"""Durations as people type and read them: "7 days", "36h", "90 min", "1d 12h", "45" (seconds)."""

from __future__ import annotations

import re

from medperf.errors import ConfigError

_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_duration(text: str | int | float, field: str = "duration") -> float:
    """Seconds in `text`; a bare number is seconds. Refused (naming `field`): empty, unknown unit, <= 0."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        words = str(text).strip().lower().replace(",", " ")
        position, seconds = 0, 0.0
        for match in _PART.finditer(words):
            if words[position:match.start()].strip(" and"):
                break
            unit = match.group(2) or "s"
            if unit not in _UNITS:
                raise ConfigError(f"{field}: unknown unit '{unit}' in '{text}'; use seconds, minutes, hours or days")
            seconds += float(match.group(1)) * _UNITS[unit]
            position = match.end()
        if position == 0 or words[position:].strip():
            raise ConfigError(f"{field}: '{text}' is not a duration; write e.g. '7 days', '36 hours' or '90 min'")
    if seconds <= 0:
        raise ConfigError(f"{field}: '{text}' must be longer than zero")
    return seconds


def human_duration(seconds: float) -> str:
    """604800 -> "7 days", 5400 -> "1.5 hours", 45 -> "45 seconds"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = seconds / size
            text = f"{amount:g}" if amount == int(amount) else f"{amount:.1f}"
            return f"{text} {unit}{'' if amount == 1 else 's'}"
    return f"{seconds:g} seconds"
