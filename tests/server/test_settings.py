"""Unit tests of nanscope.server.settings: typed settings, bad value -> default + a problem naming the key."""
from __future__ import annotations

import sys

from nanscope.server.settings import DEFAULT_TRACE_TIMEOUT, Settings, parse_settings


def test_nothing_sent_means_defaults_and_trusted():
    for raw in (None, {}):
        settings, problems = parse_settings(raw)
        assert settings == Settings()
        assert settings.trusted is True
        assert problems == []


def test_good_values():
    settings, problems = parse_settings({
        "trusted": False,
        "interpreter": sys.executable,
        "ranges": {"x": [0, 1], "W": [-1.5, 1.5]},
        "traceTimeout": 30,
    })
    assert problems == []
    assert settings.trusted is False
    assert settings.interpreter is not None
    assert dict(settings.ranges) == {"x": (0.0, 1.0), "W": (-1.5, 1.5)}
    assert settings.trace_timeout == 30.0


def test_bad_values_fall_back_to_defaults_and_name_the_key():
    settings, problems = parse_settings({
        "trusted": "yes",
        "interpreter": "/no/such/python",
        "ranges": {"x": [2, 1], "y": "wide", "z": [0, True], "ok": [0, 1]},
        "traceTimeout": -5,
        "colour": "blue",
    })
    assert settings.trusted is True
    assert settings.interpreter is None
    assert dict(settings.ranges) == {"ok": (0.0, 1.0)}
    assert settings.trace_timeout == DEFAULT_TRACE_TIMEOUT
    keys = [problem.split(":", 1)[0] for problem in problems]
    assert keys == ["trusted", "interpreter", "ranges.x", "ranges.y", "ranges.z", "traceTimeout", "colour"]


def test_wrong_shapes():
    settings, problems = parse_settings(["not", "an", "object"])
    assert settings == Settings() and len(problems) == 1
    settings, problems = parse_settings({"ranges": [1, 2], "traceTimeout": float("inf")})
    assert dict(settings.ranges) == {} and settings.trace_timeout == DEFAULT_TRACE_TIMEOUT
    assert [p.split(":", 1)[0] for p in problems] == ["ranges", "traceTimeout"]
