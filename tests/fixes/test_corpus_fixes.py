"""Issue 7, end to end over the whole corpus: every buggy program's preferred fixes remove its findings.

For every corpus program with `# expect: NS...` findings (single files and `project_*` folders, read from
the programs' own comments by tests/test_corpus.py's parser, so the list cannot go stale), on copies in a
temporary folder:

- CLI: `nanscope check --fix` applies the preferred proven fix of every finding; `nanscope check --format
  json` on the edited copy then reports no finding at all, and the same trace errors as the program expects
  (none, for all but the programs that are meant to fail): the edited program still runs under the tracer.
- Language server: the files holding the findings are opened; for each diagnostic in turn the client asks
  for its code actions, applies the one marked `isPreferred` (its WorkspaceEdit, bound to the document
  version) to the document, changes and saves it, and the next publication has exactly that diagnostic
  gone, the others still there, and a trace that completed (or failed exactly as expected).

Traces dominate the run time: programs run two at a time (one server or CLI process each), as in
tests/test_corpus.py. Programs or paths that cannot be fixed yet are listed in XFAIL with the reason (strict:
a pass flips them).
"""
from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lsprotocol import types

TESTS = Path(__file__).resolve().parents[1]
SERVER_TESTS = TESTS / "server"
if str(SERVER_TESTS) not in sys.path:
    sys.path.insert(0, str(SERVER_TESTS))

from lsp_helpers import RecordingDict, apply_text_edits, logged, publication, published_count  # noqa: E402

WORKERS = 2
PUBLICATION_TIMEOUT = 300.0


def _corpus_module():
    """tests/test_corpus.py, whose parser reads the expectations (loaded under a name of its own)."""
    name = "nanscope_corpus_expectations"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / "test_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


corpus = _corpus_module()
BUGGY = {name: program for name, program in corpus.PROGRAMS.items() if program.findings}

# (program name, "cli" | "lsp") -> why its preferred fixes cannot be checked there yet (strict xfail).
XFAIL: dict[tuple[str, str], str] = {}


# -- copies ------------------------------------------------------------------------------------------------

@dataclass
class Copy:
    cwd: Path                     # where nanscope runs (and the language server's workspace root)
    paths: list[Path]             # the files named on the command line (none: a project's entry points)
    sources: dict[str, Path]      # expectation path below the corpus -> the copy of that file


def copy_program(program, folder: Path) -> Copy:
    """A copy of the program in `folder`. A single file gets corpus.toml as its pyproject.toml (the settings
    tests/test_corpus.py passes with --config), so the CLI and the server read the same settings."""
    folder.mkdir(parents=True)
    if program.paths:
        [path] = program.paths
        shutil.copyfile(path, folder / path.name)
        shutil.copyfile(corpus.CONFIG, folder / "pyproject.toml")
        cwd, paths = folder, [folder / path.name]
    else:
        cwd = folder / program.name
        shutil.copytree(program.cwd, cwd, ignore=shutil.ignore_patterns("__pycache__"))
        paths = []
    sources = {}
    for source in program.sources:
        relative = source.relative_to(corpus.CORPUS).as_posix()
        if any(path == relative for path, _, _ in program.findings):
            sources[relative] = cwd / source.relative_to(program.cwd)
    return Copy(cwd, paths, sources)


def expected_count(program) -> int:
    return sum(program.findings.values())


def check_errors(program, errors: list[str]) -> None:
    """The trace errors of an edited program are the ones the program expects, and no others."""
    expected = [text for _, _, text in program.errors]
    assert len(errors) == len(expected), f"trace errors {errors}, expected {expected or 'none'}"
    for text in expected:
        assert any(text in error for error in errors), f"no error mentions {text!r}: {errors}"


# -- the CLI -----------------------------------------------------------------------------------------------

@dataclass
class CliOutcome:
    fix: subprocess.CompletedProcess
    check: dict
    before: dict[str, str]
    after: dict[str, str]
    seconds: float


def nanscope(copy: Copy, program, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nanscope.analysis.cli", "check", *args, "--jobs", "1",
               "--timeout", f"{program.timeout:g}", *(path.name for path in copy.paths)]
    return subprocess.run(command, cwd=copy.cwd, capture_output=True, text=True,
                          timeout=program.timeout * 3 + 120)


def run_cli(program, folder: Path) -> CliOutcome:
    started = time.perf_counter()
    copy = copy_program(program, folder)
    before = {name: path.read_text(encoding="utf-8") for name, path in copy.sources.items()}
    fixed = nanscope(copy, program, "--fix")
    checked = nanscope(copy, program, "--format", "json")
    try:
        output = json.loads(checked.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"nanscope exited with {checked.returncode} without JSON output:\n"
                             f"{checked.stdout[-3000:]}\n{checked.stderr[-3000:]}") from None
    after = {name: path.read_text(encoding="utf-8") for name, path in copy.sources.items()}
    return CliOutcome(fixed, output, before, after, time.perf_counter() - started)


# -- the language server -------------------------------------------------------------------------------------

@dataclass
class Step:
    """One applied quick fix: the diagnostic it was for, the action's title, and what was published next."""
    file: str
    code: str
    line: int
    title: str
    before: Counter
    after: Counter
    trace_log: str


@dataclass
class LspOutcome:
    initial: dict[str, Counter] = field(default_factory=dict)    # file -> (line, code) counts first published
    steps: list[Step] = field(default_factory=list)
    final: dict[str, Counter] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _findings(diagnostics) -> Counter:
    """(1-based line, code) of every nanscope finding among `diagnostics`."""
    return Counter((d.range.start.line + 1, d.code) for d in diagnostics
                   if d.source == "nanscope" and re.fullmatch(r"NS\d{3}", str(d.code)))


async def _start_server(root: Path):
    from pytest_lsp import ClientServerConfig, client_capabilities

    client = await ClientServerConfig(server_command=[sys.executable, "-m", "nanscope.server"]).start()
    client.diagnostics = RecordingDict()
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="corpus")],
        initialization_options={"logLevel": "info"}))
    return client


def _log_since(client, mark: int) -> str:
    return "\n".join(message.message for message in client.log_messages[mark:])


async def run_lsp(program, folder: Path) -> LspOutcome:
    started = time.perf_counter()
    copy = copy_program(program, folder)
    outcome = LspOutcome()
    client = await _start_server(copy.cwd)
    try:
        documents: dict[str, tuple[Path, str, int, str]] = {}     # file -> (path, uri, version, text)
        mark = published_count(client)
        for name, path in copy.sources.items():
            text = path.read_text(encoding="utf-8")
            uri = path.as_uri()
            client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text)))
            documents[name] = (path, uri, 1, text)
        wanted = {name: Counter({(line, code): n for (file, line, code), n in program.findings.items()
                                 if file == name}) for name in documents}
        for name, (_, uri, _, _) in documents.items():
            diagnostics = await publication(client, uri, since=mark, timeout=PUBLICATION_TIMEOUT,
                                            where=lambda d, name=name: _findings(d) == wanted[name])
            outcome.initial[name] = _findings(diagnostics)

        for name in documents:
            path, uri, version, text = documents[name]
            current = list(client.diagnostics[uri])
            while _findings(current):
                diagnostic = next(d for d in current if _findings([d]))
                actions = await client.text_document_code_action_async(types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
                    context=types.CodeActionContext(diagnostics=[diagnostic])))
                preferred = [a for a in actions or () if a.is_preferred]
                line = diagnostic.range.start.line + 1
                assert len(preferred) == 1, (
                    f"{name}:{line}: {diagnostic.code} has {len(preferred)} preferred actions; offered: "
                    f"{[a.title for a in actions or ()]}")
                [action] = preferred
                assert action.kind == types.CodeActionKind.QuickFix and "not proven" not in action.title
                [document_edit] = action.edit.document_changes
                assert document_edit.text_document.uri == uri and document_edit.text_document.version == version
                text = apply_text_edits(text, document_edit.edits)
                version += 1
                before = _findings(current)
                mark, log_mark = published_count(client), len(client.log_messages)
                path.write_text(text, encoding="utf-8")
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
                client.text_document_did_save(types.DidSaveTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)))
                current = await publication(client, uri, since=mark, timeout=PUBLICATION_TIMEOUT)
                outcome.steps.append(Step(name, str(diagnostic.code), line, action.title, before,
                                          _findings(current), _log_since(client, log_mark)))
            documents[name] = (path, uri, version, text)
        for name, (_, uri, _, text) in documents.items():
            outcome.final[name] = _findings(client.diagnostics[uri])
            outcome.texts[name] = text
    except BaseException as error:
        error.add_note(f"server log:\n{logged(client)[-4000:]}")
        raise
    finally:
        await client.shutdown_session()
    outcome.seconds = time.perf_counter() - started
    return outcome


# -- running everything, two at a time -----------------------------------------------------------------------

def _selected(request, test) -> list[str]:
    """The programs whose `test` was collected (all, unless -k or node ids chose some)."""
    return [item.callspec.params["name"] for item in request.session.items
            if getattr(item, "originalname", None) == test.__name__ and hasattr(item, "callspec")]


@pytest.fixture(scope="module")
def cli_outcomes(request, tmp_path_factory) -> dict[str, Future]:
    root = tmp_path_factory.mktemp("cli")
    names = _selected(request, test_cli_fix_removes_every_finding_and_the_program_still_traces)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(run_cli, BUGGY[name], root / name.removesuffix(".py")) for name in names}
    return futures     # done: a program's error is raised in its own test


@pytest.fixture(scope="module")
def lsp_outcomes(request, tmp_path_factory) -> dict[str, LspOutcome | BaseException]:
    root = tmp_path_factory.mktemp("lsp")
    names = _selected(request, test_preferred_code_action_clears_each_diagnostic)

    async def all_programs():
        gate = asyncio.Semaphore(WORKERS)

        async def one(name, program):
            async with gate:
                return await run_lsp(program, root / name.removesuffix(".py"))

        results = await asyncio.gather(*(one(name, BUGGY[name]) for name in names), return_exceptions=True)
        return dict(zip(names, results))

    return asyncio.run(all_programs())


def _case(name: str, front_end: str):
    reason = XFAIL.get((name, front_end))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, marks=marks, id=name)


def _outcome(outcomes: dict, name: str):
    outcome = outcomes[name]
    if isinstance(outcome, Future):
        return outcome.result()
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


pytestmark = [pytest.mark.tensorflow,
              pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")]


def test_every_buggy_program_is_covered():
    """The buggy programs are read from the corpus: single files and projects, each with findings."""
    assert len(BUGGY) >= 12
    assert any(not program.paths for program in BUGGY.values()), "no project folder among the buggy programs"
    assert all(not name.endswith("_fixed.py") for name in BUGGY)
    assert {name for name, _ in XFAIL} <= set(BUGGY)


@pytest.mark.parametrize("name", [_case(name, "cli") for name in BUGGY])
def test_cli_fix_removes_every_finding_and_the_program_still_traces(name, cli_outcomes):
    program, outcome = BUGGY[name], _outcome(cli_outcomes, name)
    fix, output = outcome.fix, outcome.check
    count = expected_count(program)
    assert fix.returncode == 0, f"--fix exited with {fix.returncode}:\n{fix.stdout[-3000:]}\n{fix.stderr[-3000:]}"
    assert f"fixed {count} of {count} finding" in fix.stdout, fix.stdout[-3000:]
    assert outcome.after != outcome.before
    for file, text in outcome.after.items():
        ast.parse(text, filename=file)     # the edits keep the file valid Python
    remaining = [f"{f['path']}:{f['line']}: {f['code']} [op {f['op_name']}]" for f in output["findings"]]
    assert remaining == [], f"findings left after --fix: {remaining}"
    check_errors(program, output["errors"])
    assert output["stats"]["ops"] > 0


@pytest.mark.parametrize("name", [_case(name, "lsp") for name in BUGGY])
def test_preferred_code_action_clears_each_diagnostic(name, lsp_outcomes):
    program, outcome = BUGGY[name], _outcome(lsp_outcomes, name)
    assert len(outcome.steps) == expected_count(program)
    for step in outcome.steps:
        fixed = Counter({(step.line, step.code): 1})
        assert step.after == step.before - fixed, (
            f"{step.file}:{step.line}: after {step.title!r}, published {dict(step.after)} instead of "
            f"{dict(step.before - fixed)}")
        statuses = [a or b for a, b in re.findall(r"traced \S+: ([\w-]+) in|\(trace ([\w-]+), ", step.trace_log)]
        assert statuses, f"no trace after the save:\n{step.trace_log}"
        if program.errors:
            for _, _, text in program.errors:
                assert text in step.trace_log, f"the trace did not fail as expected:\n{step.trace_log}"
        else:
            assert not set(statuses) & {"failed", "timeout", "crashed"}, (
                f"the edited program no longer traces:\n{step.trace_log}")
    assert all(not counts for counts in outcome.final.values()), outcome.final
    for file, text in outcome.texts.items():
        ast.parse(text, filename=file)
