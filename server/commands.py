"""Commands the server executes (`workspace/executeCommand`): `nanscope.analyzeWorkspace`.

`nanscope.analyzeWorkspace` finds what `nanscope check` would check in every workspace folder (the
`[tool.nanscope]` entry points, else every script that imports TensorFlow or Keras and every saved
`.pb`/`.pbtxt` graph, honouring `exclude` and .gitignore: `analysis.project.discover`), runs each as if it
had been saved (so trust, caching and publishing are the scheduler's as for a save: an untrusted
workspace gets its graph files analysed and no script traced), and answers when every run has ended, with
how many files were analysed; the findings arrive as diagnostics meanwhile.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from nanscope.analysis import project

if TYPE_CHECKING:
    from nanscope.server.app import NanscopeServer

ANALYZE_WORKSPACE = "nanscope.analyzeWorkspace"
COMMANDS = (ANALYZE_WORKSPACE,)


def workspace_files(root: Path) -> tuple[list[Path], list[str]]:
    """The files a check of the folder `root` covers, and the problems that kept a folder from being read."""
    try:
        settings = project.merge_settings(project.load_config(root), {})
        targets, _ = project.discover(settings)
    except (project.ProjectError, ValueError, OSError) as error:
        return [], [f"{root}: {error}"]
    return list(dict.fromkeys(target.path for target in targets)), []


# pygls reads a command handler's annotations at run time to convert its arguments: `ls` stays unannotated
# (NanscopeServer is imported for type checkers only). The command takes no arguments.
async def analyze_workspace(ls) -> dict:
    """Analyse every model file of the workspace (module docstring); -> how many, and any problems."""
    roots = ls.workspace_roots()
    files: list[Path] = []
    problems: list[str] = []
    for root in roots:
        found, failed = workspace_files(root)
        files.extend(found)
        problems.extend(failed)
    for problem in problems:
        ls.log(f"analyse workspace: {problem}", "warning")
    ls.log(f"analysing the workspace: {len(files)} file{'s' if len(files) != 1 else ''}", "info")
    for path in files:
        ls.scheduler.on_open_or_save(path)
    runs = [entry.task for entry in ls.scheduler.entries.values() if entry.task is not None]
    await asyncio.gather(*runs, return_exceptions=True)
    return {"files": len(files), "folders": len(roots), "problems": problems}


def register(server: NanscopeServer) -> None:
    server.command(ANALYZE_WORKSPACE)(analyze_workspace)
