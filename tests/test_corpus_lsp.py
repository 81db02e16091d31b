"""The corpus (tests/corpus/) through the language server: the same expectations as tests/test_corpus.py.

The real server (`python -m nanscope.server`: the real engine, the warm trace worker) is driven with
pytest-lsp the way an editor drives it. Expectations are read by test_corpus.py's parser (the inline
`# expect: NS101` / `# expect-error: TEXT` comments, see tests/corpus/README.md) and mapped onto LSP:

- `# expect: CODE` at line N: one diagnostic with code CODE, severity Warning, source "nanscope", whose
  range starts on line N-1 (0-based);
- `# expect-error: TEXT` at line N: one Information diagnostic starting on line N-1 whose message holds TEXT
  (the traced script failed there; the partial graph is still analysed);
- `# nanscope-test: error=TEXT` (a failure without a line, a timeout): a message to the user naming the
  program and TEXT, and no diagnostic for it;
- the one other diagnostic allowed is "unsupported-ops" (Information, at the top of the entry point: op
  types treated as unbounded, a note in the CLI's output); anything else published is wrong (the fixed
  programs: no warning, no error), and a program without an expected failure must not make the server tell
  the user that it could not trace or analyse it.

Single-file programs: one server session over a copy of the corpus folder (one per trace timeout, so the
infinite loop's `timeout=8` is honoured), settings from tests/corpus/corpus.toml sent as
`initializationOptions`; every program is opened and saved (didOpen + didSave) at once and the first
publication for its URI after that is its answer (traces run two at a time, as the server's pool allows).
Projects (a folder with a pyproject.toml): one session with the workspace at the project folder (its own
`[tool.nanscope] entry-points`); each module of the project is opened and saved in turn, and after each
save every project file that holds expectations must get exactly its diagnostics (the server publishes per
file; the first save traces the entry point, later saves reuse the cached trace).

Programs the server cannot handle yet are listed in XFAIL with the concrete reason (strict).
"""
from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

if sys.version_info >= (3, 11):
    import tomllib
else:   # pragma: no cover - Python 3.10 (nanscope depends on tomli there)
    import tomli as tomllib

TESTS = Path(__file__).resolve().parent
for _folder in (TESTS, TESTS / "server"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from lsp_helpers import RecordingDict, open_file, published_count, save_file, until  # noqa: E402
from test_corpus import CONFIG, CORPUS, PROGRAMS, Program  # noqa: E402 - the CLI test's parser

SERVER = [sys.executable, "-m", "nanscope.server"]
FINDING_CODE = re.compile(r"^NS\d{3}$")

# Programs whose expectations the server does not meet yet, with the reason (strict: a pass must flip them).
XFAIL: dict[str, str] = {}


@dataclass
class Outcome:
    """What the server published for one program (after one save)."""
    saved: str                                              # the file opened and saved (below CORPUS)
    diagnostics: dict[str, list[types.Diagnostic]] = field(default_factory=dict)   # file below CORPUS
    messages: list[str] = field(default_factory=list)      # window/showMessage texts of the session


# -- driving the server -----------------------------------------------------------------------------------

def _corpus_options(timeout: float) -> dict:
    with open(CONFIG, "rb") as handle:
        options = dict(tomllib.load(handle)["tool"]["nanscope"])
    options["timeout"] = timeout           # a program's `# nanscope-test: timeout=` wins, as in the CLI test
    return options


async def _session(root: Path, options: dict | None) -> LanguageClient:
    client = await ClientServerConfig(server_command=SERVER).start()
    client.diagnostics = RecordingDict()
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options))
    return client


async def _close(client: LanguageClient) -> None:
    try:
        await asyncio.wait_for(client.shutdown_session(), 60)
    finally:
        await client.stop()


async def _answer(client: LanguageClient, uri: str, since: int, timeout: float) -> list[types.Diagnostic]:
    """The first diagnostics published for `uri` after the `since`-th publication; fails at once if the
    server died (rather than after the whole budget)."""
    def find():
        for published_uri, diagnostics in client.diagnostics.log[since:]:
            if published_uri == uri:
                return [diagnostics]
        server = getattr(client, "_server", None)
        if server is not None and server.returncode is not None:
            raise AssertionError(f"the language server exited with {server.returncode} before answering {uri}")
        return None
    return (await until(find, timeout, f"diagnostics for {uri}"))[0]


def _relative(uri: str, copy: Path) -> str:
    path = Path(to_fs_path(uri)).resolve()
    return path.relative_to(copy).as_posix() if path.is_relative_to(copy) else str(path)


def _published_since(client: LanguageClient, mark: int, copy: Path) -> dict[str, list[types.Diagnostic]]:
    """The last diagnostics published for each file after the `mark`-th publication."""
    latest: dict[str, list[types.Diagnostic]] = {}
    for uri, diagnostics in client.diagnostics.log[mark:]:
        latest[_relative(uri, copy)] = diagnostics
    return latest


async def _single_files(programs: list[Program], copy: Path) -> dict[str, Outcome]:
    client = await _session(copy, _corpus_options(programs[0].timeout))
    try:
        mark = published_count(client)
        uris = {}
        for program in programs:
            path = copy / program.paths[0].relative_to(CORPUS)
            uris[program.name] = open_file(client, path)
            save_file(client, path)
        # Each answer comes within its trace timeout once the server's two analysis threads get to it.
        budget = sum(program.timeout for program in programs) / 2 + 120
        answers = await asyncio.gather(*(_answer(client, uri, mark, budget)
                                         for uri in uris.values()))
        messages = [message.message for message in client.messages]
        return {name: Outcome(name, {name: list(answer)}, messages)
                for name, answer in zip(uris, answers)}
    finally:
        await _close(client)


async def _project(program: Program, copy: Path) -> list[Outcome]:
    """Open and save each module of the project in turn; what every project file shows after each save."""
    root = copy / program.cwd.relative_to(CORPUS)
    client = await _session(root, {"timeout": program.timeout})
    outcomes = []
    expected_files = {relative for relative, _, _ in program.findings}
    expected_files |= {source.relative_to(CORPUS).as_posix() for source, _, _ in program.errors if source}
    try:
        for source in program.sources:
            if source.name == "__init__.py":
                continue
            saved = source.relative_to(CORPUS).as_posix()
            mark = published_count(client)
            path = copy / saved
            uri = open_file(client, path)
            save_file(client, path)
            await _answer(client, uri, mark, program.timeout + 120)
            for relative in expected_files:     # published in the same run; allow for the messages in flight
                await _answer(client, (copy / relative).resolve().as_uri(), mark, 10)
            outcomes.append(Outcome(saved, _published_since(client, mark, copy),
                                    [message.message for message in client.messages]))
    finally:
        await _close(client)
    return outcomes


async def _everything(copy: Path) -> dict[str, list[Outcome]]:
    by_timeout: dict[float, list[Program]] = {}
    projects = []
    for program in PROGRAMS.values():
        if program.paths:
            by_timeout.setdefault(program.timeout, []).append(program)
        else:
            projects.append(program)
    groups = await asyncio.gather(*(_single_files(group, copy) for group in by_timeout.values()))
    results = {name: [outcome] for group in groups for name, outcome in group.items()}
    for program, outcomes in zip(projects, await asyncio.gather(*(_project(p, copy) for p in projects))):
        results[program.name] = outcomes
    return results


pytestmark = [pytest.mark.tensorflow,
              pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, list[Outcome]]:
    copy = (tmp_path_factory.mktemp("corpus-lsp") / "corpus").resolve()
    shutil.copytree(CORPUS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    started = time.monotonic()
    results = asyncio.run(_everything(copy))
    print(f"\nthe corpus through the language server: {time.monotonic() - started:.1f} s")
    return results


# -- the expectations as LSP diagnostics --------------------------------------------------------------------

def _findings(diagnostics: dict[str, list[types.Diagnostic]]) -> Counter:
    return Counter((relative, d.range.start.line + 1, d.code) for relative, published in diagnostics.items()
                   for d in published if isinstance(d.code, str) and FINDING_CODE.match(d.code))


def _describe(counter: Counter) -> list[str]:
    return sorted(f"{path}:{line}: {code}" + (f" x{count}" if count > 1 else "")
                  for (path, line, code), count in counter.items())


def _show(diagnostic: types.Diagnostic) -> str:
    return f"{diagnostic.range.start.line + 1}: {diagnostic.code} {diagnostic.message}"


def _is_finding(diagnostic: types.Diagnostic) -> bool:
    return isinstance(diagnostic.code, str) and FINDING_CODE.match(diagnostic.code) is not None


def _check(program: Program, outcome: Outcome) -> None:
    where = f"after saving {outcome.saved}"
    found = _findings(outcome.diagnostics)
    leftover = {relative: [d for d in published if not _is_finding(d)]
                for relative, published in outcome.diagnostics.items()}
    missing, extra = program.findings - found, found - program.findings
    assert not missing and not extra, (
        f"{where}: missing: {_describe(missing)}; unexpected: {_describe(extra)}; other diagnostics: "
        f"{ {relative: [_show(d) for d in ds] for relative, ds in leftover.items() if ds} }")
    for published in outcome.diagnostics.values():
        for diagnostic in filter(_is_finding, published):
            assert diagnostic.severity == types.DiagnosticSeverity.Warning, _show(diagnostic)
            assert diagnostic.source == "nanscope", _show(diagnostic)

    # Whatever is not a finding must be an expected failure, at its line, with its text; nothing else.
    for source, line, text in program.errors:
        if source is None:
            continue
        relative = source.relative_to(CORPUS).as_posix()
        matching = [d for d in leftover.get(relative, []) if d.range.start.line == line - 1 and text in d.message
                    and d.severity == types.DiagnosticSeverity.Information]
        assert len(matching) == 1, (f"{where}: expected one information diagnostic at {relative}:{line} "
                                    f"mentioning {text!r}; got {[_show(d) for d in leftover.get(relative, [])]}")
        leftover[relative].remove(matching[0])
    for published in leftover.values():     # what the CLI prints as a note: op types treated as unbounded
        published[:] = [d for d in published if not (
            d.code == "unsupported-ops" and d.severity == types.DiagnosticSeverity.Information
            and d.range.start == types.Position(0, 0))]
    assert not any(leftover.values()), (
        f"{where}: unexpected diagnostics: { {r: [_show(d) for d in ds] for r, ds in leftover.items() if ds} }")

    # A failure without a line (a timeout) is told to the user; a program expected to run is never reported
    # as one the server could not trace or analyse.
    names = {Path(relative).name for relative in outcome.diagnostics} | {Path(outcome.saved).name}
    names |= {source.name for source in program.sources}
    troubles = [message for message in outcome.messages
                if any(f"could not trace {name}" in message or f"could not fully analyse {name}" in message
                       for name in names)]
    for source, _, text in program.errors:
        if source is None:
            assert any(text in message for message in troubles), (
                f"{where}: no message says {text!r}: {outcome.messages}")
    if not program.errors:
        assert troubles == [], troubles


def _case(name: str):
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else []
    return pytest.param(name, marks=marks, id=name)


def test_every_program_of_the_corpus_is_run():
    assert len(PROGRAMS) >= 20 and set(XFAIL) <= set(PROGRAMS)
    assert any(not program.paths for program in PROGRAMS.values())       # the projects are part of it


@pytest.mark.parametrize("name", [_case(name) for name in PROGRAMS])
def test_program_gives_exactly_its_expected_diagnostics(name, outcomes):
    program = PROGRAMS[name]
    runs = outcomes[name]
    assert runs, f"{name}: nothing was saved"
    if not program.paths:      # a project: every module was saved once; each save gives the whole picture
        expected_saves = {source.relative_to(CORPUS).as_posix() for source in program.sources
                          if source.name != "__init__.py"}
        assert {run.saved for run in runs} == expected_saves
    for run in runs:
        _check(program, run)
