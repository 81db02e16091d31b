"""The corpus (tests/corpus/): every model program gives exactly its expected findings through the CLI.

Each program is checked with `nanscope check --format json` in a subprocess (one trace each, two at a time;
the whole run takes a few minutes). Expectations are inline comments (see tests/corpus/README.md):
`# expect: NS101` per finding at its line, `# expect-error: TEXT` where the trace fails. The comparison
is exact: no finding may be missing and none may be extra, and a program without expectations (the fixed
versions) must come out clean, with no errors.

Programs the engine cannot handle yet are listed in XFAIL with the concrete reason; they must fail
(strict), so a fix in the engine shows up as XPASS and the entry is removed. Never weaken an expectation.
"""
from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
CONFIG = CORPUS / "corpus.toml"
DEFAULT_TIMEOUT = 120.0
WORKERS = 2

# Programs whose expectations the engine does not meet yet, with the reason (strict: a pass must flip them).
XFAIL: dict[str, str] = {}


_EXPECT = re.compile(r"#\s*expect:\s*((?:NS\d{3}[\s,]*)+)")
_EXPECT_ERROR = re.compile(r"#\s*expect-error:\s*(.+?)\s*$")
_DIRECTIVE = re.compile(r"^#\s*nanscope-test:\s*([\w-]+)\s*=\s*(.+?)\s*$")


@dataclass
class Program:
    name: str
    cwd: Path
    paths: list[Path]                 # the files named on the command line (none: a project's entry points)
    sources: list[Path]               # the files holding expectations
    timeout: float = DEFAULT_TIMEOUT
    findings: Counter = field(default_factory=Counter)      # (path below CORPUS, line, code)
    errors: list[tuple[Path | None, int | None, str]] = field(default_factory=list)


def _read(program: Program) -> Program:
    for source in program.sources:
        relative = source.relative_to(CORPUS).as_posix()
        for number, line in enumerate(source.read_text(encoding="utf-8").split("\n"), 1):
            directive = _DIRECTIVE.match(line)
            if directive:
                key, value = directive.groups()
                if key == "timeout":
                    program.timeout = float(value)
                elif key == "error":
                    program.errors.append((None, None, value))
                else:
                    raise ValueError(f"{relative}:{number}: unknown directive {key!r}")
            expect = _EXPECT.search(line)
            if expect:
                for code in re.findall(r"NS\d{3}", expect.group(1)):
                    program.findings[(relative, number, code)] += 1
            error = _EXPECT_ERROR.search(line)
            if error:
                program.errors.append((source, number, error.group(1)))
    return program


def programs() -> list[Program]:
    found = []
    for path in sorted(CORPUS.iterdir()):
        if path.is_file() and path.suffix == ".py":
            found.append(_read(Program(path.name, CORPUS, [path], [path])))
        elif path.is_dir() and (path / "pyproject.toml").is_file():
            found.append(_read(Program(path.name, path, [], sorted(path.rglob("*.py")))))
    return found


PROGRAMS = {program.name: program for program in programs()}


def run(program: Program) -> dict:
    command = [sys.executable, "-m", "nanscope.analysis.cli", "check", "--format", "json",
               "--timeout", f"{program.timeout:g}", "--jobs", "1"]
    if program.paths:
        command += ["--config", str(CONFIG), "--project-root", str(CORPUS), *map(str, program.paths)]
    completed = subprocess.run(command, cwd=program.cwd, capture_output=True, text=True,
                               timeout=program.timeout * 3 + 120)
    try:
        output = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"nanscope exited with {completed.returncode} without JSON output:\n"
                             f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}") from None
    output["returncode"] = completed.returncode
    return output


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(run, program) for name, program in PROGRAMS.items()}
        return {name: future.result() for name, future in futures.items()}


def _found(program: Program, output: dict) -> Counter:
    found = Counter()
    for finding in output["findings"]:
        path = (program.cwd / finding["path"]).resolve()
        relative = path.relative_to(CORPUS).as_posix() if path.is_relative_to(CORPUS) else str(path)
        found[(relative, finding["line"], finding["code"])] += 1
    return found


def _describe(counter: Counter) -> list[str]:
    return sorted(f"{path}:{line}: {code}" + (f" x{count}" if count > 1 else "")
                  for (path, line, code), count in counter.items())


def _case(name: str):
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else []
    return pytest.param(name, marks=marks, id=name)


pytestmark = [pytest.mark.tensorflow,
              pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")]


def test_the_corpus_is_big_enough():
    assert len(PROGRAMS) >= 20
    fixed = [name for name in PROGRAMS if name.endswith("_fixed.py")]
    assert all(name.replace("_fixed", "") in PROGRAMS for name in fixed) and len(fixed) >= 8
    assert set(XFAIL) <= set(PROGRAMS)


@pytest.mark.parametrize("name", [_case(name) for name in PROGRAMS])
def test_program_gives_exactly_its_expected_findings(name, outputs):
    program, output = PROGRAMS[name], outputs[name]
    found = _found(program, output)
    missing, extra = program.findings - found, found - program.findings
    assert not missing and not extra, (
        f"missing: {_describe(missing)}; unexpected: {_describe(extra)}; errors: {output['errors']}")
    errors = output["errors"]
    if not program.errors:
        assert errors == [], errors
    for source, line, text in program.errors:
        matching = [error for error in errors if text in error]
        assert matching, f"no error mentions {text!r}: {errors}"
        if source is not None:
            assert any(error.startswith(f"{source}:{line}:") or f"{source.name}:{line}:" in error
                       for error in matching), (
                f"the failure is not reported at {source.name}:{line}: {matching}")
    if program.findings:
        assert output["returncode"] == 1
    elif not program.errors:
        assert output["returncode"] == 0
