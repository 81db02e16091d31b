"""Which entry points to trace for a saved file.

By default a saved file runs as a script. A project may name its entry points in its pyproject.toml:

    [tool.nanscope]
    entry-points = ["train.py", "pkg/model.py:build_model"]

(paths relative to the project root; `file.py:function` imports the file as a module and calls the
function with no arguments). Then a saved entry-point file traces its own entries, and a saved module that
an entry point imports (directly or through other project modules: the static import graph of
`nanscope_agentlib.imports`, plus the files earlier traces recorded as imported) re-traces those entries;
a file that no entry point reaches runs as a script.

This module reads only `entry-points`; the rest of `[tool.nanscope]` belongs to `nanscope.analysis.project`.
A missing, unreadable or invalid configuration counts as "no entry points".
"""
from __future__ import annotations

from pathlib import Path
from typing import Collection, Mapping

from nanscope.analysis.tracing.nanscope_agentlib.imports import import_closure, script_roots
from nanscope.analysis.tracing.result import EntryPoint


def configured_entry_points(project_root: Path) -> list[EntryPoint]:
    """The entry points of `[tool.nanscope] entry-points` in `project_root`/pyproject.toml."""
    root = Path(project_root).resolve()
    table = _nanscope_table(root / "pyproject.toml")
    values = table.get("entry-points", table.get("entry_points", table.get("entryPoints", [])))
    if not isinstance(values, list):
        return []
    entries = []
    for value in values:
        entry = parse_entry_point(value, root) if isinstance(value, str) else None
        if entry is not None:
            entries.append(entry)
    return entries


def parse_entry_point(text: str, project_root: Path) -> EntryPoint | None:
    """`train.py` or `pkg/model.py:build_model` (relative to the project root) -> EntryPoint; None if the
    text is not of that form (a Windows drive letter is not a function separator)."""
    path_text, function = text, None
    head, sep, tail = text.rpartition(":")
    if sep and tail.isidentifier() and head.endswith(".py"):
        path_text, function = head, tail
    if not path_text.endswith(".py"):
        return None
    path = Path(path_text)
    if not path.is_absolute():
        path = Path(project_root) / path
    return EntryPoint(path.resolve(), function)


def import_root(path: Path) -> Path:
    """The folder a module file is imported from: the first ancestor that is not a package."""
    folder = Path(path).resolve().parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def entry_points_for(saved_file: Path, project_root: Path,
                     imported: Mapping[Path, Collection[Path]] | None = None) -> list[EntryPoint]:
    """The entry points to trace when `saved_file` was saved (see the module docstring).

    `imported` optionally maps an entry point's file to the project files an earlier trace of it imported
    (`TraceResult.imported_files`): imports the static graph cannot see (importlib, plugins) count too.
    """
    saved = Path(saved_file).resolve()
    root = Path(project_root).resolve()
    entries = configured_entry_points(root)
    if not entries:
        return [EntryPoint(saved)]
    own = [entry for entry in entries if entry.path == saved]
    if own:
        return own
    known = {Path(key).resolve(): {Path(value).resolve() for value in values}
             for key, values in (imported or {}).items()}
    reaching = []
    closures: dict[EntryPoint, set[Path]] = {}
    for entry in entries:
        if not entry.path.is_file():
            continue
        roots = _roots(entry, root)
        if entry not in closures:
            closure = {Path(path) for path in import_closure(str(entry.path), roots, str(root))}
            closures[entry] = closure | known.get(entry.path, set())
        if saved in closures[entry]:
            reaching.append(entry)
    return reaching or [EntryPoint(saved)]


def _roots(entry: EntryPoint, project_root: Path) -> list[str]:
    if entry.function:
        roots = [str(project_root)]
        folder = str(entry.path.parent)
        if folder not in roots:
            roots.append(folder)
        return roots
    return script_roots(str(entry.path), str(project_root))


def _nanscope_table(pyproject: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:          # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            return {}
    try:
        with open(pyproject, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError):        # missing, unreadable or invalid TOML (TOMLDecodeError is a ValueError)
        return {}
    table = data.get("tool", {}).get("nanscope", {}) if isinstance(data.get("tool"), dict) else {}
    return table if isinstance(table, dict) else {}


__all__ = ["configured_entry_points", "entry_points_for", "import_root", "parse_entry_point"]
