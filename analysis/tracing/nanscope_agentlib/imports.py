"""The static import graph of a project's Python files (standard library `ast` only).

`project_imports(path, roots, project_root)` lists the project files that `path` imports (anywhere in the
file: top level, functions, try blocks), resolving absolute imports against `roots` (for a script run
as `python S`: S's folder, then the project root) and relative imports against the file's package.
Importing `a.b.c` also runs `a/__init__.py` and `a/b/__init__.py`, which count as imported.
`import_closure` follows those edges transitively.
"""
from __future__ import annotations

import ast
import os


def _candidates(base, dotted):
    """The files that importing `dotted` from folder `base` runs (packages' __init__.py on the way, then
    the module); empty when its first part is not there. Trailing parts that are no module (the names of
    `from m import name`) are ignored."""
    found = []
    current = base
    for position, part in enumerate(part for part in dotted.split(".") if part):
        directory = os.path.join(current, part)
        if os.path.isfile(os.path.join(directory, "__init__.py")):
            found.append(os.path.join(directory, "__init__.py"))
            current = directory
        elif os.path.isfile(directory + ".py"):
            found.append(directory + ".py")
            return found
        elif os.path.isdir(directory):
            current = directory           # a namespace package
        else:
            return found if position > 0 else []
    return found


def _resolve(dotted, roots):
    for root in roots:
        files = _candidates(root, dotted)
        if files:
            return files
    return []


def project_imports(path, roots, project_root):
    """Absolute real paths of the project files that `path` imports directly."""
    project_root = os.path.realpath(project_root)
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return set()
    here = os.path.dirname(os.path.realpath(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.update(_resolve(alias.name, roots))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = os.path.dirname(base)
                module = node.module or ""
                targets = [module] if module else []
                targets += [f"{module}.{alias.name}" if module else alias.name for alias in node.names]
                for target in targets:
                    found.update(_candidates(base, target))
                init = os.path.join(base, "__init__.py")
                if os.path.isfile(init):
                    found.add(init)
            elif node.module:
                found.update(_resolve(node.module, roots))
                for alias in node.names:
                    found.update(_resolve(f"{node.module}.{alias.name}", roots))
    real = {os.path.realpath(file) for file in found}
    return {file for file in real
            if (file == project_root or file.startswith(project_root + os.sep)) and file != os.path.realpath(path)}


def import_closure(path, roots, project_root, limit=2000):
    """`path` and every project file it imports, directly or not."""
    start = os.path.realpath(path)
    seen = {start}
    pending = [start]
    while pending and len(seen) < limit:
        current = pending.pop()
        for imported in project_imports(current, roots, project_root):
            if imported not in seen:
                seen.add(imported)
                pending.append(imported)
    return seen


def script_roots(script, project_root):
    """The folders absolute imports resolve against when `script` runs as `python script`."""
    roots = [os.path.dirname(os.path.realpath(script))]
    if project_root and os.path.realpath(project_root) not in roots:
        roots.append(os.path.realpath(project_root))
    return roots
