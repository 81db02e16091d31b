"""Whole-project runs: configuration from `[tool.nanscope]`, finding what to check, and checking it in parallel.

- **Project root and configuration.** The root is the folder of the nearest `pyproject.toml` above the
  starting folder (else of the nearest `.git`, else the starting folder itself). Its `[tool.nanscope]`
  table uses the command line's flag names (`weight-range`, `exit-zero`, ...); `load_config` validates
  every value and raises `ProjectError` with the file, key and what was expected. `merge_settings` lets
  command-line values override the configuration (`ranges` per name).
- **Targets.** With no path, the project's `entry-points` are checked; without entry points every Python
  file that imports TensorFlow or Keras (directly or through a module of the project: a fast regular
  expression scan, then `ast` for the imports) and every `.pb`/`.pbtxt` graph file under the root. A folder
  named on the command line is searched the same way. `.gitignore` is respected (through
  `git ls-files --cached --others --exclude-standard` inside a git work tree, else through
  `GitIgnore`, a matcher for the usual patterns), and so are `exclude` globs and a list of folders that
  never hold project code (`.venv`, `build`, `node_modules`, ...).
- **Strict and discovered targets.** A file named on the command line or listed in `entry-points` must
  be analysable: if it builds no graph because it failed, that is an error (exit 2). A file found by
  searching is only a candidate: when it builds no graph (a library module, a test file) it is skipped with
  a note, whatever the reason.
- **Parallel checks.** `check_targets` runs `check_file` for several targets at once in a thread pool:
  every trace is its own subprocess, so threads suffice. Reports come back in the targets' order.
"""
from __future__ import annotations

import ast
import difflib
import fnmatch
import math
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from nanscope.analysis import api
from nanscope.analysis.api import GRAPH_SUFFIXES, CheckOptions, check_file
from nanscope.analysis.checks import SPEC_BY_CODE
from nanscope.analysis.report import Report
from nanscope.analysis.transformers.registry import TENSOR_MODES, AnalysisOptions

FORMATS = ("text", "json", "sarif", "github")
RELATIONS = ("affine", "none")
SCRIPT_SUFFIX = ".py"
DEFAULT_TIMEOUT = 60.0

# Folders that never hold the project's own model code (ruff skips the same ones).
DEFAULT_EXCLUDE = (".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
                   ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pycache__",
                   "__pypackages__", "_build", "buck-out", "build", "dist", "node_modules", "site-packages",
                   "venv", "*.egg-info")

# `import tensorflow`, `import numpy as np, tensorflow as tf`, `from tensorflow import keras`, `import keras`.
_TF_MODULES = ("tensorflow", "keras", "tf_keras")
_TF_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(?:tensorflow|keras|tf_keras)\b"
                        r"|import[ \t]+[^\n#]*\b(?:tensorflow|keras|tf_keras)\b)", re.MULTILINE)
_MAX_SCANNED_MODULES = 200     # per file, when following the project's own imports


class ProjectError(Exception):
    """A configuration value, a path or a rule code that cannot be used; the CLI exits with 2."""


# -- rule selection --------------------------------------------------------------------------------------

def parse_codes(values: Iterable[str], what: str) -> tuple[str, ...]:
    """Rule codes or prefixes (`NS101`, `NS1`, `NS`, `ALL`), possibly comma-separated, upper-cased."""
    codes: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ProjectError(f"{what}: expected rule codes such as NS101 or prefixes such as NS1, got {value!r}")
        for part in value.split(","):
            code = part.strip().upper()
            if not code:
                continue
            if code == "ALL":
                code = "NS"
            if not any(known.startswith(code) for known in SPEC_BY_CODE):
                raise ProjectError(f"{what}: {part.strip()!r} is not a rule code or a prefix of one "
                                   f"(codes: {', '.join(sorted(SPEC_BY_CODE))})")
            codes.append(code)
    return tuple(codes)


def code_enabled(code: str, select: Sequence[str] = ("NS",), ignore: Sequence[str] = ()) -> bool:
    """The most specific matching prefix decides (an ignore wins a tie); a code no selected prefix
    matches is off."""
    best_select = max((len(p) for p in select if code.startswith(p)), default=-1)
    best_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
    return best_select >= 0 and best_select > best_ignore


def filter_findings(reports: Sequence[Report], select: Sequence[str], ignore: Sequence[str]) -> list[Report]:
    """The reports with only the findings of enabled rule codes (unchanged reports are returned as is)."""
    kept = []
    for report in reports:
        findings = [f for f in report.findings if code_enabled(f.code, select, ignore)]
        kept.append(report if len(findings) == len(report.findings) else replace(report, findings=findings))
    return kept


# -- configuration ---------------------------------------------------------------------------------------

def _bounds(value: Any, what: str) -> tuple[float, float]:
    """LO:HI as a string ("0:1", "-inf:inf") or a two-element array ([0, 1], ["-inf", 1])."""
    if isinstance(value, str):
        parts = value.split(":")
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        parts = []
    if len(parts) != 2:
        raise ProjectError(f"{what}: expected \"LO:HI\" or [LO, HI], got {value!r}")
    bounds = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, (int, float, str)):
            raise ProjectError(f"{what}: bounds must be numbers, \"-inf\" or \"inf\", got {part!r}")
        try:
            bounds.append(float(part))
        except ValueError:
            raise ProjectError(f"{what}: bounds must be numbers, \"-inf\" or \"inf\", got {part!r}") from None
    lo, hi = bounds
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise ProjectError(f"{what}: LO must not exceed HI, got {value!r}")
    return lo, hi


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ProjectError(f"{what}: expected a list of strings, got {value!r}")


def _choice(choices: Sequence[str]) -> Callable[[Any, str], str]:
    def check(value: Any, what: str) -> str:
        if value not in choices:
            raise ProjectError(f"{what}: expected one of {', '.join(choices)}, got {value!r}")
        return value
    return check


def _boolean(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ProjectError(f"{what}: expected true or false, got {value!r}")
    return value


def _integer(minimum: int) -> Callable[[Any, str], int]:
    def check(value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ProjectError(f"{what}: expected an integer >= {minimum}, got {value!r}")
        return value
    return check


def _positive_number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        raise ProjectError(f"{what}: expected a positive number of seconds, got {value!r}")
    return float(value)


def _ranges(value: Any, what: str) -> dict[str, tuple[float, float]]:
    if not isinstance(value, dict):
        raise ProjectError(f"{what}: expected a table of NAME = [LO, HI], for example {{ x = [0, 1] }}, "
                           f"got {value!r}")
    return {str(name): _bounds(bounds, f"{what}.{name}") for name, bounds in value.items()}


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProjectError(f"{what}: expected a non-empty string, got {value!r}")
    return value


def _eps(value: Any, what: str) -> float | dict[str, float]:
    """One epsilon for every dtype, or a table dtype name -> epsilon."""
    if isinstance(value, dict):
        return {str(dtype): _positive(eps, f"{what}.{dtype}") for dtype, eps in value.items()}
    return _positive(value, what)


def _positive(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        raise ProjectError(f"{what}: expected a positive number, got {value!r}")
    return float(value)


# Key in [tool.nanscope] (the flag's name) -> validator returning the normalised value.
CONFIG_KEYS: dict[str, Callable[[Any, str], Any]] = {
    "entry-points": _string_list,
    "select": lambda v, w: parse_codes(_string_list(v, w), w),
    "ignore": lambda v, w: parse_codes(_string_list(v, w), w),
    "exclude": _string_list,
    "respect-gitignore": _boolean,
    "format": _choice(FORMATS),
    "jobs": _integer(0),
    "ranges": _ranges,
    "weight-range": _bounds,
    "timeout": _positive_number,
    "tensor": _choice(TENSOR_MODES),
    "relations": _choice(RELATIONS),
    "split": _boolean,
    "block-limit": _integer(1),
    "show-safe": _boolean,
    "statistics": _boolean,
    "exit-zero": _boolean,
    "interpreter": _string,
    "eps": _eps,
    "rules-url": _string,
}
# Keys only the language server reads (nanscope.server.settings); the command line accepts and ignores them.
SERVER_ONLY_KEYS = frozenset({"trusted", "severity", "log-level", "log_level", "logLevel"})
# Other spellings the language server accepts for keys the command line reads too.
KEY_ALIASES = {"entry_points": "entry-points", "entryPoints": "entry-points", "trace-timeout": "timeout",
               "trace_timeout": "timeout", "traceTimeout": "timeout", "rules_url": "rules-url",
               "rulesUrl": "rules-url"}


@dataclass(frozen=True)
class Config:
    """The validated `[tool.nanscope]` table: only the keys that were set, by flag name."""
    root: Path                         # the project root (absolute)
    source: Path | None = None         # the file the table was read from
    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def find_project_root(start: Path) -> tuple[Path, Path | None]:
    """(root, pyproject.toml or None): the nearest folder at or above `start` with a pyproject.toml,
    else with a .git, else `start` itself."""
    start = Path(start).resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return folder, candidate
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder, None
    return start, None


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:            # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ProjectError(f"{path}: reading TOML needs Python 3.11 or the tomli package") from None
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ProjectError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ProjectError(f"{path}: invalid TOML: {error}") from None


def parse_config(table: Any, source: str = "[tool.nanscope]") -> dict[str, Any]:
    """Validate a `[tool.nanscope]` table; unknown keys and bad values raise ProjectError."""
    if not isinstance(table, dict):
        raise ProjectError(f"{source}: expected a table, got {table!r}")
    values: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    for key, value in table.items():
        if key in SERVER_ONLY_KEYS:
            continue
        name = KEY_ALIASES.get(key, key)
        validator = CONFIG_KEYS.get(name)
        if validator is None:
            close = difflib.get_close_matches(key.replace("_", "-"), CONFIG_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (known keys: {', '.join(CONFIG_KEYS)})"
            raise ProjectError(f"{source}: unknown key {key!r}{hint}")
        if name in spelled:
            raise ProjectError(f"{source}: {spelled[name]!r} and {key!r} set the same thing; keep one")
        spelled[name] = key
        values[name] = validator(value, f"{source} {key}")
    return values


def load_config(start: Path | None = None, config_file: Path | None = None) -> Config:
    """The configuration for a run started in `start` (default: the working directory).

    `config_file` (the --config flag) names the file explicitly: a pyproject.toml, or any TOML file whose
    `[tool.nanscope]` table (or, failing that, its top level) holds the settings; its folder is the root.
    """
    if config_file is not None:
        config_file = Path(config_file).resolve()
        if not config_file.is_file():
            raise ProjectError(f"{config_file}: no such configuration file")
        data = _read_toml(config_file)
        table = data.get("tool", {}).get("nanscope") if "tool" in data else data
        return Config(config_file.parent, config_file,
                      parse_config(table or {}, f"{config_file} [tool.nanscope]"))
    root, pyproject = find_project_root(Path.cwd() if start is None else start)
    if pyproject is None:
        return Config(root)
    table = _read_toml(pyproject).get("tool", {}).get("nanscope")
    if table is None:
        return Config(root, pyproject)
    return Config(root, pyproject, parse_config(table, f"{pyproject} [tool.nanscope]"))


@dataclass(frozen=True)
class Settings:
    """What one `nanscope check` run does: the configuration with the command line's values on top."""
    root: Path
    paths: tuple[Path, ...] = ()
    entry_points: tuple[str, ...] = ()
    select: tuple[str, ...] = ("NS",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    format: str = "text"
    jobs: int = 0                         # 0: the number of cores
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    weight_range: tuple[float, float] | None = None
    timeout: float = DEFAULT_TIMEOUT
    tensor: str = "partition"
    relations: str = "affine"
    split: bool = True
    block_limit: int = AnalysisOptions.block_limit
    show_safe: bool = False
    statistics: bool = False
    exit_zero: bool = False
    interpreter: str | None = None
    eps: float | Mapping[str, float] | None = None    # the epsilon of quick fixes (default: per dtype)
    rules_url: str | None = None          # base URL of the rule pages (SARIF helpUri); None: docs/rules/
    project_root: Path | None = None      # the folder findings point into (default: each script's folder)

    @property
    def workers(self) -> int:
        return self.jobs or os.cpu_count() or 1

    def check_options(self) -> CheckOptions:
        analysis = AnalysisOptions(tensor=self.tensor, relations=self.relations == "affine", split=self.split,
                                   block_limit=self.block_limit)
        options = CheckOptions(ranges=dict(self.ranges), project_root=self.project_root,
                               interpreter=self.interpreter, trace_timeout=self.timeout, analysis=analysis,
                               weight_range=self.weight_range)
        if self.eps is not None and "eps" in CheckOptions.__dataclass_fields__:
            options = replace(options, eps=self.eps)
        return options


def merge_settings(config: Config, cli: Mapping[str, Any]) -> Settings:
    """Settings from the configuration, overridden by every command-line value that is not None.

    `cli` uses the Settings field names. `ranges` merge per name (the command line wins); everything else
    is replaced as a whole.
    """
    values: dict[str, Any] = {key.replace("-", "_"): value for key, value in config.values.items()}
    interpreter = values.get("interpreter")
    if interpreter and ("/" in interpreter or os.sep in interpreter) and not Path(interpreter).is_absolute():
        values["interpreter"] = str(config.root / interpreter)     # relative to the configuration's folder
    ranges = dict(values.pop("ranges", {}))
    for key, value in cli.items():
        if key == "ranges":
            ranges.update(value or {})
        elif value is not None:
            values[key] = value
    values["ranges"] = ranges
    unknown = set(values) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"not settings: {', '.join(sorted(unknown))}")
    if values.get("select") == ():
        values["select"] = ("NS",)
    return Settings(root=config.root, **values)


# -- gitignore ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Rule:
    base: str            # posix path of the folder the pattern file applies to, "" for the filesystem root
    regex: re.Pattern
    negate: bool
    dir_only: bool


def _glob_regex(glob: str) -> str:
    """A gitignore glob (already stripped of `!`, anchoring `/` and trailing `/`) as a regular expression
    over a `/`-separated path relative to the pattern file's folder."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2 if glob[i + 1:i + 2] in ("!", "^") else i + 1)
            if end < 0:
                out.append(re.escape("["))
                i += 1
                continue
            body = glob[i + 1:end]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


class GitIgnore:
    """Matches paths against .gitignore files: comments, blank lines, `!` negation, a trailing `/` for
    folders only, anchoring by a leading or inner `/`, `*`, `?`, `[...]` and `**`. Files are added from the
    outermost folder inwards; the last matching pattern decides, as in git. A caller walking a tree must
    not descend into an ignored folder (git never re-includes a file below one)."""

    def __init__(self) -> None:
        self.rules: list[_Rule] = []
        self.loaded: set[Path] = set()

    def add_file(self, path: Path) -> None:
        path = Path(path)
        if path in self.loaded:
            return
        self.loaded.add(path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        self.add_patterns(text.splitlines(), path.parent.parent if path.parent.name == "info" and
                          path.parent.parent.name == ".git" else path.parent)

    def add_patterns(self, lines: Iterable[str], folder: Path) -> None:
        base = Path(folder).resolve().as_posix().rstrip("/")
        for line in lines:
            line = line.rstrip("\n")
            if not line.endswith("\\ "):
                line = line.rstrip(" ")
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            elif line.startswith(("\\!", "\\#")):
                line = line[1:]
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if not line:
                continue
            anchored = "/" in line
            line = line.lstrip("/")
            regex = _glob_regex(line)
            if not anchored:
                regex = "(?:.*/)?" + regex
            self.rules.append(_Rule(base, re.compile(regex + r"\Z", re.DOTALL), negate, dir_only))

    def load_for(self, folder: Path, top: Path) -> None:
        """Add the .gitignore files from `top` (and .git/info/exclude there) down to `folder`."""
        folder, top = Path(folder).resolve(), Path(top).resolve()
        exclude = top / ".git" / "info" / "exclude"
        if exclude.is_file():
            self.add_file(exclude)
        chain = [folder, *folder.parents]
        for ancestor in reversed(chain[:chain.index(top) + 1] if top in chain else [folder]):
            candidate = ancestor / ".gitignore"
            if candidate.is_file():
                self.add_file(candidate)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        target = Path(path).resolve().as_posix()
        verdict = False
        for rule in self.rules:
            prefix = rule.base + "/"
            if not target.startswith(prefix) or (rule.dir_only and not is_dir):
                continue
            if rule.regex.match(target[len(prefix):]):
                verdict = not rule.negate
        return verdict


def _git_top(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git_listed_files(folder: Path) -> list[Path] | None:
    """Files git does not ignore below `folder` (tracked and untracked), or None outside a work tree or
    without a working git."""
    if _git_top(folder) is None:
        return None
    try:
        result = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
                                cwd=folder, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    names = result.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return [folder / name for name in names if name]


# -- excludes ----------------------------------------------------------------------------------------------

def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def excluded(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    """Whether a glob excludes `path`: a glob without `/` matches any single path component (`build`,
    `*_test.py`); a glob with `/` matches the path relative to the root, or a folder above it
    (`tests/fixtures`, `legacy/*.py`)."""
    relative = _relative(path, root)
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.strip()
        if pattern.startswith("./"):
            pattern = pattern[2:]
        pattern = pattern.rstrip("/")
        if not pattern:
            continue
        if "/" not in pattern:
            if any(fnmatch.fnmatchcase(part, pattern) for part in parts):
                return True
            continue
        pattern = pattern.lstrip("/")
        prefixes = ("/".join(parts[:n]) for n in range(1, len(parts) + 1))
        if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
            return True
    return False


# -- TensorFlow import heuristic -------------------------------------------------------------------------

def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _imported_modules(tree: ast.AST, path: Path) -> Iterator[tuple[Path, str]]:
    """(folder to resolve in, dotted module name) for each import; relative imports resolve against the
    file's package folder, absolute ones against the search roots (folder = Path())."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Path(), alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                folder = path.parent
                for _ in range(node.level - 1):
                    folder = folder.parent
                base = node.module or ""
                for alias in node.names:
                    yield folder, f"{base}.{alias.name}" if base else alias.name
                if base:
                    yield folder, base
            elif node.module:
                yield Path(), node.module
                for alias in node.names:
                    yield Path(), f"{node.module}.{alias.name}"


def _module_files(folder: Path, dotted: str) -> Iterator[Path]:
    """The files that importing `dotted` from `folder` runs: each package's __init__.py and the module."""
    parts = dotted.split(".")
    for n in range(1, len(parts) + 1):
        stem = folder.joinpath(*parts[:n])
        for candidate in (stem / "__init__.py", stem.with_suffix(".py") if n == len(parts) else None):
            if candidate is not None and candidate.is_file():
                yield candidate


class TensorFlowScan:
    """Decides, fast and without running anything, whether a Python file may build a TensorFlow graph:
    it imports tensorflow/keras itself, or through a module of the project (a file below one of the
    search roots). Results are cached per file."""

    def __init__(self, roots: Sequence[Path]):
        self.roots = [Path(r).resolve() for r in roots]
        self.cache: dict[Path, bool] = {}

    def imports_tensorflow(self, path: Path) -> bool:
        path = Path(path).resolve()
        if path not in self.cache:
            self.cache[path] = self._scan(path)
        return self.cache[path]

    def _scan(self, start: Path) -> bool:
        seen = {start}
        queue = [start]
        while queue and len(seen) <= _MAX_SCANNED_MODULES:
            path = queue.pop(0)
            if self.cache.get(path):
                return True
            text = _read_text(path)
            if text is None:
                continue
            if _TF_IMPORT.search(text):
                return True
            try:
                tree = ast.parse(text, filename=str(path))
            except (SyntaxError, ValueError):
                continue
            for folder, dotted in _imported_modules(tree, path):
                if dotted.split(".")[0] in _TF_MODULES:
                    return True
                folders = [folder] if folder != Path() else [path.parent, *self.roots]
                for base in folders:
                    for found in _module_files(base, dotted):
                        found = found.resolve()
                        if found not in seen and any(found.is_relative_to(root) for root in self.roots):
                            seen.add(found)
                            queue.append(found)
        return False


# -- targets -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One thing to check: a script (optionally a function in it, `file.py:function`) or a graph file."""
    path: Path                   # absolute
    function: str | None = None
    strict: bool = True          # named explicitly: failing to build any graph is an error, not a skip

    def __str__(self) -> str:
        return f"{self.path}:{self.function}" if self.function else str(self.path)


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str
    explicit: bool = False       # named on the command line (always reported), else found by searching


def parse_entry_point(text: str, root: Path) -> Target:
    """`train.py` or `pkg/model.py:build_model`, relative to the project root."""
    name, function = text, None
    head, sep, tail = text.rpartition(":")
    if sep and tail.isidentifier() and head.endswith(GRAPH_SUFFIXES + (SCRIPT_SUFFIX,)):
        name, function = head, tail
    path = Path(name)
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_file():
        raise ProjectError(f"entry point {text!r}: {path} is not a file")
    if path.suffix not in GRAPH_SUFFIXES + (SCRIPT_SUFFIX,):
        raise ProjectError(f"entry point {text!r}: expected a .py script or a .pb/.pbtxt graph file")
    if function is not None and path.suffix != SCRIPT_SUFFIX:
        raise ProjectError(f"entry point {text!r}: only a .py file can name a function")
    return Target(path, function, strict=True)


def _default_excluded(path: Path, root: Path) -> bool:
    return excluded(path, root, DEFAULT_EXCLUDE)


def _walk(folder: Path, root: Path, settings: Settings) -> Iterator[Path]:
    """The files below `folder` that no ignore rule or exclude glob removes."""
    listed = _git_listed_files(folder) if settings.respect_gitignore else None
    if listed is not None:
        for path in sorted(listed):
            relative_parts = path.relative_to(folder).parts
            folders = [folder.joinpath(*relative_parts[:n]) for n in range(1, len(relative_parts))]
            if any(_default_excluded(f, folder) or excluded(f, root, settings.exclude) for f in folders):
                continue
            if path.is_file():
                yield path
        return
    ignore = GitIgnore()
    if settings.respect_gitignore:
        ignore.load_for(folder, (_git_top(folder) or root) if folder.is_relative_to(root) else folder)
    for current, dirnames, filenames in os.walk(folder):
        here = Path(current)
        if settings.respect_gitignore and (here / ".gitignore").is_file():
            ignore.add_file(here / ".gitignore")
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if _default_excluded(sub, folder) or excluded(sub, root, settings.exclude) or sub.is_symlink():
                continue
            if settings.respect_gitignore and ignore.ignored(sub, is_dir=True):
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if settings.respect_gitignore and ignore.ignored(path, is_dir=False):
                continue
            yield path


def discover(settings: Settings) -> tuple[list[Target], list[Skipped]]:
    """The targets of a run and the files passed over (with why), in a deterministic order: paths named
    on the command line in their order (a folder's files sorted, in its place), else the entry points in
    their order, else the project's files sorted by path."""
    root = settings.root
    scan = TensorFlowScan([root])
    targets: list[Target] = []
    skipped: list[Skipped] = []
    seen: set[Path] = set()

    def add(target: Target) -> None:
        key = target.path if target.function is None else Path(str(target))
        if key not in seen:
            seen.add(key)
            targets.append(target)

    def consider(path: Path, explicit: bool) -> None:
        if path.suffix in GRAPH_SUFFIXES:
            add(Target(path.resolve(), strict=explicit))
        elif path.suffix == SCRIPT_SUFFIX:
            if scan.imports_tensorflow(path):
                add(Target(path.resolve(), strict=explicit))
            elif explicit:
                skipped.append(Skipped(path.resolve(), "does not import tensorflow or keras", explicit=True))

    if settings.paths:
        for path in settings.paths:
            if not path.exists():
                raise ProjectError(f"{path}: no such file or folder")
            if path.is_dir():
                for found in sorted(_walk(path.resolve(), root, settings)):
                    if not excluded(found, root, settings.exclude):
                        consider(found, explicit=False)
            elif path.suffix not in GRAPH_SUFFIXES + (SCRIPT_SUFFIX,):
                raise ProjectError(f"{path}: expected a .py script, a .pb/.pbtxt graph file or a folder")
            elif excluded(path, root, settings.exclude):
                skipped.append(Skipped(path.resolve(), "excluded", explicit=True))
            else:
                consider(path, explicit=True)
        return targets, skipped
    if settings.entry_points:
        for text in settings.entry_points:
            add(parse_entry_point(text, root))
        return targets, skipped
    for found in sorted(_walk(root, root, settings)):
        if not excluded(found, root, settings.exclude):
            consider(found, explicit=False)
    return targets, skipped


# -- checking ----------------------------------------------------------------------------------------------

def check_target(target: Target, options: CheckOptions) -> Report:
    """Check one target: a script is run as a script, a `file.py:function` entry point through its function."""
    if target.function is None:
        return check_file(target.path, options)
    return api.check_entry_point(target.path, target.function, options)


def check_targets(targets: Sequence[Target], options: CheckOptions, jobs: int = 1,
                  on_done: Callable[[Target, Report], None] | None = None) -> list[Report]:
    """Reports for `targets`, in their order; up to `jobs` checks at a time."""
    reports: list[Report | None] = [None] * len(targets)
    if jobs <= 1 or len(targets) <= 1:
        for index, target in enumerate(targets):
            reports[index] = check_target(target, options)
            if on_done is not None:
                on_done(target, reports[index])
        return reports  # type: ignore[return-value]
    with ThreadPoolExecutor(max_workers=min(jobs, len(targets)), thread_name_prefix="nanscope-check") as pool:
        futures = {pool.submit(check_target, target, options): index for index, target in enumerate(targets)}
        for future in as_completed(futures):
            index = futures[future]
            reports[index] = future.result()
            if on_done is not None:
                on_done(targets[index], reports[index])
    return reports  # type: ignore[return-value]


def split_unbuilt(targets: Sequence[Target], reports: Sequence[Report]) -> tuple[list[Report], list[Skipped]]:
    """Drop the reports of searched-for candidates that built no graph (library modules, tests, files
    that are not GraphDefs): they are not entry points. Strict targets always keep their report."""
    kept: list[Report] = []
    skipped: list[Skipped] = []
    for target, report in zip(targets, reports):
        if target.strict or report.stats.ops > 0:
            kept.append(report)
            continue
        if report.errors:
            first = report.errors[0].strip().splitlines()
            reason = "built no graph: " + (first[-1] if first else "")
        else:
            reason = "built no TensorFlow graph"
        skipped.append(Skipped(target.path, reason))
    return kept, skipped


def exit_status(reports: Sequence[Report], exit_zero: bool = False) -> int:
    """0 no findings, 1 findings (0 with --exit-zero), 2 when a file could not be analysed at all."""
    if any(r.errors and r.stats.ops == 0 for r in reports):
        return 2
    if any(r.findings for r in reports) and not exit_zero:
        return 1
    return 0
