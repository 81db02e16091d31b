"""Typed server settings, parsed from the client's `initializationOptions`.

Owns the settings schema and its validation. The client sends a flat JSON object (every key optional):

    {"trusted": true,                       # false: never run workspace code (untrusted workspace)
     "interpreter": "/path/to/python",      # python that traces the model; default: the server's own
     "ranges": {"x": [0, 1], "W": [-1, 1]}, # graph input/variable name -> [lo, hi]
     "traceTimeout": 120}                   # seconds

Policy (as jedi-language-server does it): a bad value never stops the server; the key falls back to its
default and `parse_settings` returns a problem naming the bad key, which the server logs to the client.
`trusted` defaults to True because editors without a trust model say nothing about it.
"""
from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

DEFAULT_TRACE_TIMEOUT = 120.0


@dataclass(frozen=True)
class Settings:
    trusted: bool = True
    interpreter: str | None = None
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=lambda: MappingProxyType({}))
    trace_timeout: float = DEFAULT_TRACE_TIMEOUT


def parse_settings(raw: object) -> tuple[Settings, list[str]]:
    """Settings from a decoded `initializationOptions` value, plus one problem message per bad key."""
    if raw is None:
        return Settings(), []
    if not isinstance(raw, Mapping):
        return Settings(), [f"initializationOptions: expected an object, got {_kind(raw)}; using defaults"]

    problems: list[str] = []
    defaults = Settings()

    trusted = raw.get("trusted", defaults.trusted)
    if not isinstance(trusted, bool):
        problems.append(f"trusted: expected true or false, got {trusted!r}; using {defaults.trusted}")
        trusted = defaults.trusted

    interpreter = _parse_interpreter(raw.get("interpreter"), problems)
    ranges = _parse_ranges(raw.get("ranges"), problems)

    timeout = raw.get("traceTimeout", defaults.trace_timeout)
    if not _is_number(timeout) or not math.isfinite(timeout) or timeout <= 0:
        problems.append(
            f"traceTimeout: expected a positive number of seconds, got {timeout!r}; "
            f"using {defaults.trace_timeout:g}"
        )
        timeout = defaults.trace_timeout

    known = {"trusted", "interpreter", "ranges", "traceTimeout"}
    for key in raw:
        if key not in known:
            problems.append(f"{key}: unknown setting, ignored")

    settings = Settings(
        trusted=trusted,
        interpreter=interpreter,
        ranges=MappingProxyType(ranges),
        trace_timeout=float(timeout),
    )
    return settings, problems


def _parse_interpreter(value: object, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"interpreter: expected a path to a python executable, got {value!r}; "
                        "using the server's python")
        return None
    expanded = str(Path(value.strip()).expanduser())
    found = shutil.which(expanded)
    if found is None:
        problems.append(f"interpreter: {value!r} is not an executable file; using the server's python")
        return None
    return found


def _parse_ranges(value: object, problems: list[str]) -> dict[str, tuple[float, float]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"ranges: expected an object {{name: [lo, hi]}}, got {_kind(value)}; using no ranges")
        return {}
    ranges: dict[str, tuple[float, float]] = {}
    for name, bounds in value.items():
        if (
            isinstance(bounds, (list, tuple))
            and len(bounds) == 2
            and all(_is_number(b) and not math.isnan(b) for b in bounds)
            and bounds[0] <= bounds[1]
        ):
            ranges[str(name)] = (float(bounds[0]), float(bounds[1]))
        else:
            problems.append(f"ranges.{name}: expected [lo, hi] with numbers lo <= hi, got {bounds!r}; ignored")
    return ranges


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: object) -> str:
    return type(value).__name__
