"""Typed server settings and where they come from.

Owns the settings schema, its validation, and the layering of the three sources:

1. the client's `initializationOptions`, replaced by every `workspace/didChangeConfiguration` (a flat
   object, or one under a "nanscope" key; when the notification carries neither, the server pulls the
   "nanscope" section with `workspace/configuration`);
2. `[tool.nanscope]` in the project's `pyproject.toml` (the workspace folder's), re-read when it changes.

The project's file wins over the client for every key it sets (the VS Code extension always sends every key,
defaults included, so a checked-in choice could otherwise never take effect); `ranges` and `severity` are
merged name by name. `trusted` comes from the client only. Keys, camelCase as the client sends them
(pyproject.toml may spell them in kebab-case; `timeout` is an alias of `traceTimeout`):

    trusted       false: never run workspace code (untrusted workspace); default true
    interpreter   python that traces the model; default: the server's own ("" = default)
    entryPoints   scripts to trace, relative to the project root (["train.py"]); default: the saved file
    ranges        {"x": [0, 1], "W": ["-inf", "inf"]}: graph input/variable name -> [lo, hi]
    traceTimeout  seconds a traced script may run; default 60
    eps           epsilon the quick fixes insert; default 1e-8
    severity      {"NS101": "error"}: error | warning | information | hint | off, per rule code
    tensor        partition | smash | expand (tensor abstraction); relations: affine | none (or a boolean);
    split         true | false (predicate splitting)
    logLevel      error | warning | info | debug: how much the server writes to the client's log
    rulesUrl      base URL of the rule pages (codeDescription links); default: the bundled docs/rules

Policy (as jedi-language-server does it): a bad value never stops the server; the key falls back to its
default (or the next source) and the parser returns a problem naming the source and the key.
`trusted` defaults to True because editors without a trust model say nothing about it.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

DEFAULT_TRACE_TIMEOUT = 60.0
SEVERITIES = ("error", "warning", "information", "hint", "off")
TENSOR_MODES = ("partition", "smash", "expand")
LOG_LEVELS = ("error", "warning", "info", "debug")
SECTION = "nanscope"

# Spellings accepted for each camelCase key (pyproject.toml users write kebab-case).
ALIASES = {
    "entry-points": "entryPoints", "entry_points": "entryPoints",
    "timeout": "traceTimeout", "trace-timeout": "traceTimeout", "trace_timeout": "traceTimeout",
    "log-level": "logLevel", "log_level": "logLevel",
    "rules-url": "rulesUrl", "rules_url": "rulesUrl",
    "weight-range": "weightRange", "block-limit": "blockLimit",
}
# camelCase key -> Settings field
FIELDS = {
    "trusted": "trusted", "interpreter": "interpreter", "entryPoints": "entry_points", "ranges": "ranges",
    "traceTimeout": "trace_timeout", "eps": "eps", "severity": "severity", "tensor": "tensor",
    "relations": "relations", "split": "split", "logLevel": "log_level", "rulesUrl": "rules_url",
    "select": "select", "ignore": "ignore", "weightRange": "weight_range", "blockLimit": "block_limit",
}
# [tool.nanscope] keys the command line reads too, by its flag name -> Settings field: pyproject.toml values
# are validated by the command line's own validators (nanscope.analysis.project), so both read a project's
# file alike. The command line's other keys (exclude, format, jobs, ...) mean nothing here and are skipped.
SHARED_KEYS = {
    "entry-points": "entry_points", "ranges": "ranges", "timeout": "trace_timeout", "tensor": "tensor",
    "relations": "relations", "split": "split", "interpreter": "interpreter", "eps": "eps",
    "rules-url": "rules_url", "select": "select", "ignore": "ignore", "weight-range": "weight_range",
    "block-limit": "block_limit",
}
MERGED_BY_NAME = ("ranges", "severity")


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Settings:
    trusted: bool = True
    interpreter: str | None = None
    entry_points: tuple[str, ...] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=_empty)
    trace_timeout: float = DEFAULT_TRACE_TIMEOUT
    eps: float | Mapping[str, float] | None = None    # None: a default per dtype
    severity: Mapping[str, str] = field(default_factory=_empty)
    tensor: str = "partition"
    relations: bool = True
    split: bool = True
    log_level: str = "warning"
    rules_url: str | None = None
    select: tuple[str, ...] = ("NS",)        # rule codes or prefixes shown (as the command line's --select)
    ignore: tuple[str, ...] = ()
    weight_range: tuple[float, float] | None = None   # None: trained weights are unbounded
    block_limit: int | None = None           # None: the engine's default

    def trace_key(self) -> tuple:
        """What a trace depends on (besides the files it read)."""
        return (self.interpreter,)

    def analysis_key(self) -> tuple:
        """What an analysis of a given trace depends on."""
        eps = tuple(sorted(self.eps.items())) if isinstance(self.eps, Mapping) else self.eps
        return (tuple(sorted(self.ranges.items())), self.tensor, self.relations, self.split, self.weight_range,
                self.block_limit, eps)

    def shows(self, code: str) -> bool:
        """Whether findings of `code` are shown (select/ignore, as the command line decides)."""
        best_select = max((len(p) for p in self.select if code.startswith(p)), default=-1)
        best_ignore = max((len(p) for p in self.ignore if code.startswith(p)), default=-1)
        return best_select >= 0 and best_select > best_ignore


class Problem(str):
    """A problem message (a str) that also knows the key it is about."""
    key: str

    def __new__(cls, key: str, text: str) -> Problem:
        problem = super().__new__(cls, text)
        problem.key = key
        return problem


def parse_settings(raw: object, source: str = "initializationOptions") -> tuple[Settings, list[str]]:
    """Settings from one decoded settings object, plus one problem message per bad key."""
    values, problems = parse_layer(raw, source)
    return layered(values), problems


def layered(*layers: Mapping[str, Any]) -> Settings:
    """Settings from parsed layers (lowest priority first); `ranges`/`severity` merge name by name."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for name, value in layer.items():
            if name in MERGED_BY_NAME and name in merged:
                merged[name] = {**merged[name], **value}
            else:
                merged[name] = value
    for name in MERGED_BY_NAME:
        if name in merged:
            merged[name] = MappingProxyType(dict(merged[name]))
    return Settings(**merged)


def parse_layer(raw: object, source: str, *, base: Path | None = None, client: bool = True
                ) -> tuple[dict[str, Any], list[str]]:
    """The valid values of one source as {Settings field: value}, and a problem per bad key.

    `base` resolves a relative interpreter path (pyproject.toml: its folder). Only `client` sources may set
    `trusted`; the project file's keys that the command line reads too are validated as it does.
    """
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [Problem(source, f"{source}: expected an object, got {_kind(raw)}; ignored")]
    values: dict[str, Any] = {}
    problems: list[str] = []
    defaults = Settings()
    for raw_key, value in raw.items():
        key = ALIASES.get(str(raw_key), str(raw_key))
        where = f"{source}: {raw_key}" if source != "initializationOptions" else str(raw_key)
        if not client and _shared(str(raw_key), value, where, base, values, problems):
            continue
        parser = _PARSERS.get(key)
        if parser is None or (key == "trusted" and not client):
            note = "unknown setting, ignored" if client else "unknown key, ignored"
            if key == "trusted":
                note = "can only be set by the editor, ignored"
            problems.append(Problem(str(raw_key), f"{where}: {note}"))
            continue
        default = getattr(defaults, FIELDS[key])
        try:
            parsed = parser(value, base)
        except _Bad as bad:
            shown = "the server's python" if key == "interpreter" else _show(default)
            problems.append(Problem(str(raw_key), f"{where}: {bad.reason}; using {shown}"))
            continue
        except _Partial as partial:
            parsed = partial.value
            problems.extend(Problem(f"{raw_key}.{name}", f"{where}.{name}: {reason}; ignored")
                            for name, reason in partial.problems)
        if parsed is _UNSET:
            continue
        values[FIELDS[key]] = parsed
    return values, problems


def _shared(raw_key: str, value: object, where: str, base: Path | None, values: dict[str, Any],
            problems: list[str]) -> bool:
    """A pyproject.toml key the command line reads: validated by its validators; True if it was one."""
    from nanscope.analysis import project

    name = project.KEY_ALIASES.get(raw_key, raw_key)
    if name not in project.CONFIG_KEYS:
        return False
    if name not in SHARED_KEYS:
        return True                       # a command-line-only key
    try:
        parsed = project.CONFIG_KEYS[name](value, where)
        if name == "relations":
            parsed = parsed == "affine"
        elif name == "interpreter":
            parsed = _interpreter(parsed, base)
        elif name in ("select", "ignore", "entry-points"):
            parsed = tuple(parsed) if parsed or name != "select" else ("NS",)
    except project.ProjectError as error:
        problems.append(Problem(raw_key, f"{error}; ignored"))
        return True
    except _Bad as bad:
        problems.append(Problem(raw_key, f"{where}: {bad.reason}; ignored"))
        return True
    if parsed is not _UNSET:
        values[SHARED_KEYS[name]] = parsed
    return True


def with_changes(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)


# -- value parsers ---------------------------------------------------------------------------------------

_UNSET = object()


class _Bad(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Partial(Exception):
    """Some entries of a mapping were bad: `value` holds the good ones."""

    def __init__(self, value: Any, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.value, self.problems = value, problems


def _bool(value: object, base: Path | None) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"expected true or false, got {value!r}")
    return value


def _interpreter(value: object, base: Path | None) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _UNSET
    if not isinstance(value, str):
        raise _Bad(f"expected a path to a python executable, got {value!r}")
    path = Path(os.path.expandvars(value.strip())).expanduser()
    if base is not None and not path.is_absolute() and (os.sep in value or "/" in value):
        path = base / path
    found = shutil.which(str(path))
    if found is None:
        raise _Bad(f"{value!r} is not an executable file")
    return found


def _entry_points(value: object, base: Path | None) -> Any:
    if value is None:
        return _UNSET
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise _Bad(f"expected a list of paths such as [\"train.py\"], got {value!r}")
    entries = tuple(item.strip() for item in value if item.strip())
    return entries if entries else _UNSET     # an empty list (the editor's default) sets nothing


def _ranges(value: object, base: Path | None) -> dict[str, tuple[float, float]]:
    if not isinstance(value, Mapping):
        raise _Bad(f"expected an object {{name: [lo, hi]}}, got {_kind(value)}")
    ranges: dict[str, tuple[float, float]] = {}
    problems: list[tuple[str, str]] = []
    for name, bounds in value.items():
        parsed = None
        if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
            lo, hi = _bound(bounds[0]), _bound(bounds[1])
            if lo is not None and hi is not None and lo <= hi:
                parsed = (lo, hi)
        if parsed is None:
            problems.append((str(name), f"expected [lo, hi] with numbers (or \"-inf\"/\"inf\") lo <= hi, "
                                        f"got {bounds!r}"))
        else:
            ranges[str(name)] = parsed
    if problems:
        raise _Partial(ranges, problems)
    return ranges


def _bound(value: object) -> float | None:
    if _is_number(value) and not math.isnan(value):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("inf", "+inf", "infinity", "+infinity"):
            return math.inf
        if text in ("-inf", "-infinity"):
            return -math.inf
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _timeout(value: object, base: Path | None) -> float:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise _Bad(f"expected a positive number of seconds, got {value!r}")
    return float(value)


def _eps(value: object, base: Path | None) -> float | None:
    if value is None:   # the client's "use the default per dtype"
        return None
    if not _is_number(value) or not math.isfinite(value) or not 0 < value < 1:
        raise _Bad(f"expected a number between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def _codes(value: object, base: Path | None) -> tuple[str, ...]:
    from nanscope.analysis import project

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _Bad(f"expected a list of rule codes or prefixes such as [\"NS1\"], got {value!r}")
    try:
        return project.parse_codes(value, "codes")
    except project.ProjectError as error:
        raise _Bad(str(error).removeprefix("codes: ")) from None


def _weight_range(value: object, base: Path | None) -> tuple[float, float]:
    bounds = [_bound(b) for b in value] if isinstance(value, (list, tuple)) and len(value) == 2 else [None]
    if None in bounds or bounds[0] > bounds[1]:
        raise _Bad(f"expected [lo, hi] with lo <= hi, got {value!r}")
    return bounds[0], bounds[1]


def _block_limit(value: object, base: Path | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Bad(f"expected an integer >= 1, got {value!r}")
    return value


def _severity(value: object, base: Path | None) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _Bad(f"expected an object {{\"NS101\": \"error\"}}, got {_kind(value)}")
    result: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for code, level in value.items():
        name = str(code).strip().upper()
        normalized = level.strip().lower() if isinstance(level, str) else None
        normalized = {"info": "information", "none": "off"}.get(normalized, normalized)
        if not (name.startswith("NS") and name[2:].isdigit()):
            problems.append((str(code), "expected a rule code such as NS101"))
        elif normalized not in SEVERITIES:
            problems.append((str(code), f"expected one of {', '.join(SEVERITIES)}, got {level!r}"))
        else:
            result[name] = normalized
    if problems:
        raise _Partial(result, problems)
    return result


def _tensor(value: object, base: Path | None) -> str:
    if not isinstance(value, str) or value.strip().lower() not in TENSOR_MODES:
        raise _Bad(f"expected one of {', '.join(TENSOR_MODES)}, got {value!r}")
    return value.strip().lower()


def _relations(value: object, base: Path | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("affine", "none"):
        return value.strip().lower() == "affine"
    raise _Bad(f"expected \"affine\" or \"none\" (or true/false), got {value!r}")


def _log_level(value: object, base: Path | None) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    text = {"warn": "warning", "information": "info", "trace": "debug"}.get(text, text)
    if text not in LOG_LEVELS:
        raise _Bad(f"expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return text


def _rules_url(value: object, base: Path | None) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _UNSET
    if not isinstance(value, str) or ":" not in value:
        raise _Bad(f"expected a URL such as https://example.org/docs/rules/, got {value!r}")
    return value.strip()


_PARSERS = {
    "trusted": _bool, "interpreter": _interpreter, "entryPoints": _entry_points, "ranges": _ranges,
    "traceTimeout": _timeout, "eps": _eps, "severity": _severity, "tensor": _tensor, "relations": _relations,
    "split": _bool, "logLevel": _log_level, "rulesUrl": _rules_url, "select": _codes, "ignore": _codes,
    "weightRange": _weight_range, "blockLimit": _block_limit,
}
assert set(_PARSERS) == set(FIELDS) and set(FIELDS.values()) == {f.name for f in fields(Settings)}


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return "{}"
    return repr(value) if isinstance(value, str) else str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: object) -> str:
    return type(value).__name__


# -- the project's pyproject.toml ---------------------------------------------------------------------------

def read_pyproject(root: Path) -> tuple[Mapping[str, Any] | None, list[str]]:
    """`[tool.nanscope]` of `root`/pyproject.toml (None when the file or the table is absent)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return None, []
    if sys.version_info >= (3, 11):
        import tomllib
    else:   # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            return None, [Problem("pyproject.toml", f"{path}: cannot read TOML on Python 3.10 without the "
                                                    "tomli package; ignored")]
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        return None, [Problem("pyproject.toml", f"{path}: {error}; its [tool.nanscope] settings are ignored")]
    table = document.get("tool", {}).get("nanscope")
    if table is None:
        return None, []
    if not isinstance(table, Mapping):
        return None, [Problem("tool.nanscope", f"{path}: [tool.nanscope] is not a table; ignored")]
    return table, []


class SettingsStore:
    """The client's settings plus every project root's pyproject.toml (re-read when its mtime changes).

    The client's layer is `initializationOptions` overlaid with the latest didChangeConfiguration object
    (which replaces the previous one). An empty or missing object changes nothing, and `trusted` keeps its
    value unless the new object names it.
    """

    def __init__(self) -> None:
        self.initial: dict[str, Any] = {}
        self.changed: dict[str, Any] = {}
        self._projects: dict[Path, tuple[int | None, dict[str, Any]]] = {}

    def set_initial(self, raw: object) -> list[str]:
        self.initial, problems = parse_layer(raw, "initializationOptions")
        return problems

    def set_changed(self, raw: object, source: str = "workspace/didChangeConfiguration") -> list[str]:
        """Replace the didChangeConfiguration layer; returns the problems to report."""
        if raw is None or (isinstance(raw, Mapping) and not raw):
            return []
        self.changed, problems = parse_layer(raw, source)
        return problems

    @property
    def client(self) -> dict[str, Any]:
        return {**self.initial, **self.changed}

    @property
    def trusted(self) -> bool:
        return self.client.get("trusted", True)

    def log_level(self, root: Path | None) -> str:
        """The logLevel in effect, from what is already known (the project file is not re-read)."""
        cached = self._projects.get(root) if root is not None else None
        return layered(self.client, cached[1] if cached else {}).log_level

    def settings_for(self, root: Path | None) -> tuple[Settings, list[str]]:
        """The effective settings for a project root, and the problems of a newly (re-)read pyproject.toml."""
        if root is None:
            return layered(self.client), []
        project, problems = self._project(root)
        return layered(self.client, project), problems

    def _project(self, root: Path) -> tuple[dict[str, Any], list[str]]:
        path = root / "pyproject.toml"
        try:
            mtime: int | None = path.stat().st_mtime_ns
        except OSError:
            mtime = None
        cached = self._projects.get(root)
        if cached is not None and cached[0] == mtime:
            return cached[1], []
        table, problems = read_pyproject(root)
        values, more = parse_layer(table, f"{path} [tool.nanscope]", base=root, client=False)
        self._projects[root] = (mtime, values)
        return values, problems + more
