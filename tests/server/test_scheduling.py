"""Protocol tests of scheduling and publication against a server with a stand-in engine (fast, no TensorFlow).

See `fake_engine_server.py` for the directives the stand-in engine obeys. Its messages carry the analysis
run number and the trace number, which is how these tests see what ran.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsp_helpers import (
    logged,
    open_file,
    publication,
    publications,
    published_count,
    save_file,
    until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

TIMEOUT = 20.0


async def next_diagnostics(client: LanguageClient, timeout: float = TIMEOUT) -> types.PublishDiagnosticsParams:
    return await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout)


async def next_message(client: LanguageClient, timeout: float = TIMEOUT) -> types.ShowMessageParams:
    return await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), timeout)


async def test_open_publishes_with_exact_range_and_project_root(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "pkg" / "model.py"
    model.parent.mkdir()
    model.write_text('import math\nlabel = "😀"; z = log(y)\n', encoding="utf-8")

    uri = open_file(fake_client, model)
    published = await next_diagnostics(fake_client)

    assert published.uri == uri
    assert published.version == 1
    [diagnostic] = published.diagnostics
    column = len('label = "😀"; z = '.encode("utf-16-le")) // 2
    assert diagnostic.range == types.Range(types.Position(1, column), types.Position(1, column + len("log(y)")))
    assert (diagnostic.code, diagnostic.source) == ("NS101", "nanscope")
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert f"root {tmp_path}" in diagnostic.message   # the workspace folder, not the file's folder


async def test_non_file_and_non_python_documents_are_ignored(fake_client: LanguageClient, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("log(x)\n", encoding="utf-8")
    open_file(fake_client, notes)
    fake_client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri="untitled:Untitled-1", language_id="python", version=1,
                                             text="log(x)\n")))
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)

    published = await next_diagnostics(fake_client)
    assert published.uri == uri
    assert set(fake_client.diagnostics) == {uri}


async def test_result_of_a_changed_document_is_dropped(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-sleep: 2\n# fake-tag: v1\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    fake_client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="# fake-tag: v2\nz = log(y)\n")]))
    await asyncio.sleep(0.5)   # the first analysis has read v1 and is busy
    save_file(fake_client, model, "# fake-tag: v2\nz = log(y)\n")

    published = await next_diagnostics(fake_client)   # the first publish is already the fresh one
    [diagnostic] = published.diagnostics
    assert "tag v2" in diagnostic.message
    assert published.version == 2


async def test_saves_during_an_analysis_coalesce_into_one_rerun(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-sleep: 1.5\n# fake-tag: v1\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await asyncio.sleep(0.8)                 # the first analysis read v1 and sleeps
    model.write_text("# fake-tag: v2\nz = log(y)\n", encoding="utf-8")
    for _ in range(3):
        save_file(fake_client, model)

    [diagnostic] = await publication(fake_client, uri)
    assert "run 2, tag v2" in diagnostic.message
    await asyncio.sleep(1.5)
    assert len(publications(fake_client, uri)) == 1     # the stale first result was never published


async def test_debounce_runs_a_burst_of_saves_once(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-tag: v0\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)
    mark = published_count(fake_client)
    for version in range(1, 6):
        save_file(fake_client, model, f"# fake-tag: v{version}\nz = log(y)\n")
    [diagnostic] = await publication(fake_client, uri, since=mark)
    assert "run 2, tag v5" in diagnostic.message and "trace 2" in diagnostic.message
    await asyncio.sleep(0.5)
    assert len(publications(fake_client, uri, since=mark)) == 1


async def test_a_superseded_trace_is_cancelled(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-trace-sleep: 30\n# fake-tag: slow\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await asyncio.sleep(0.5)                 # the slow trace is running
    save_file(fake_client, model, "# fake-tag: quick\nz = log(y)\n")
    [diagnostic] = await publication(fake_client, uri, timeout=10.0)   # well before the slow trace would end
    assert "tag quick" in diagnostic.message and "trace 2" in diagnostic.message
    def ends():
        return [r[-1].message for r in fake_client.progress_reports.values()
                if isinstance(r[-1], types.WorkDoneProgressEnd)]
    await until(lambda: len(ends()) == 2)
    assert ends() == ["cancelled", "model.py: 1 finding"]


async def test_engine_crash_is_shown_and_the_server_carries_on(fake_client: LanguageClient, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("# fake-raise\n", encoding="utf-8")
    open_file(fake_client, broken)
    message = await next_message(fake_client)
    assert message.type == types.MessageType.Error
    assert "the fake engine exploded" in message.message

    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    assert len(await publication(fake_client, uri)) == 1


async def test_report_errors_show_one_warning(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n# fake-error: could not map\n# fake-error: second problem\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    assert len(await publication(fake_client, uri)) == 1
    await until(lambda: fake_client.messages)
    [message] = fake_client.messages
    assert message.type == types.MessageType.Warning
    assert "could not map" in message.message and "1 more" in message.message


async def test_trace_failure_is_an_information_message_with_the_reason(fake_client: LanguageClient,
                                                                        tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-trace-fail: no data file\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    assert len(await publication(fake_client, uri)) == 1          # the partial result is still shown
    await until(lambda: fake_client.messages)
    [message] = fake_client.messages
    assert message.type == types.MessageType.Info
    assert "could not trace model.py (failed): ValueError: no data file" in message.message
    assert "Traceback" in logged(fake_client)                    # the whole story is in the log

    mark = published_count(fake_client)
    save_file(fake_client, model, "# fake-trace-fail: no data file\n# edited\nz = log(y)\n")
    await publication(fake_client, uri, since=mark)
    await asyncio.sleep(0.2)
    assert len(fake_client.messages) == 1                        # the same failure is not shown twice


async def test_traced_program_output_goes_to_the_log(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-output: epoch 0 loss 2.3\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)
    [entry] = [m for m in fake_client.log_messages if "output of model.py" in m.message]
    assert "epoch 0 loss 2.3" in entry.message and entry.type == types.MessageType.Log


async def test_progress_reports_tracing_then_analysing(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)
    await until(lambda: any(isinstance(r[-1], types.WorkDoneProgressEnd)
                            for r in fake_client.progress_reports.values()))
    [reports] = fake_client.progress_reports.values()
    begin, report, end = reports
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.message == "tracing model.py"
    assert isinstance(report, types.WorkDoneProgressReport) and report.message == "analysing model.py"
    assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "model.py: 1 finding"


async def test_findings_in_other_files_are_published_there(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-elsewhere\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    other = (tmp_path / "other.py").as_uri()
    assert [d.severity for d in await publication(fake_client, uri)] == [types.DiagnosticSeverity.Warning]
    [elsewhere] = await publication(fake_client, other)
    assert elsewhere.severity == types.DiagnosticSeverity.Error and elsewhere.message.startswith("in another file")


async def test_imported_module_findings_are_published_and_cleared(fake_client: LanguageClient, tmp_path: Path):
    layers = tmp_path / "layers.py"
    layers.write_text("def loss(p):\n    return log(p)\n", encoding="utf-8")
    model = tmp_path / "model.py"
    model.write_text("# fake-imports: layers.py\nimport layers\n", encoding="utf-8")
    model_uri, layers_uri = open_file(fake_client, model), layers.as_uri()
    [finding] = await publication(fake_client, layers_uri)      # layers.py is not even open
    assert finding.range.start == types.Position(1, 11) and "trace 1" in finding.message
    assert await publication(fake_client, model_uri) == []

    # Saving the module re-runs the script that imports it (as a module, not as a script of its own).
    mark = published_count(fake_client)
    open_file(fake_client, layers)
    save_file(fake_client, layers, "def loss(p):\n    return log(p + 1e-7)\n")
    [finding] = await publication(fake_client, layers_uri, since=mark, where=lambda d: d and "trace 2" in d[0].message)
    mark = published_count(fake_client)
    save_file(fake_client, layers, "def loss(p):\n    return p\n")
    assert await publication(fake_client, layers_uri, since=mark) == []    # fixed: cleared


async def test_unrelated_save_and_unchanged_save_trace_nothing(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    [first] = await publication(fake_client, uri)
    assert "trace 1" in first.message

    # A save without a change: neither traced nor analysed again, but answered.
    mark = published_count(fake_client)
    save_file(fake_client, model)
    [again] = await publication(fake_client, uri, since=mark)
    assert again.message == first.message
    assert "run 1" in again.message

    # An unrelated script saved: traced on its own (it is a script), model.py is not traced again.
    notes = tmp_path / "notes.py"
    notes.write_text("x = 1\n", encoding="utf-8")
    open_file(fake_client, notes)
    mark = published_count(fake_client)
    save_file(fake_client, notes, "x = 2\n")
    assert await publication(fake_client, notes.as_uri(), since=mark) == []
    await asyncio.sleep(0.3)
    assert publications(fake_client, uri, since=mark) == []


async def test_close_clears_the_diagnostics(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    assert len(await publication(fake_client, uri)) == 1
    mark = published_count(fake_client)
    fake_client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    assert await publication(fake_client, uri, since=mark) == []


# -- diagnostics worth reading -----------------------------------------------------------------------------

@pytest.mark.parametrize("fake_client", [{"severity": {"NS101": "error"}}], indirect=True)
async def test_diagnostic_has_rule_link_related_assumptions_and_configured_severity(
        fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-assume: x 3\nimport tensorflow as tf\nx = placeholder()\nz = log(x)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    [diagnostic] = await publication(fake_client, uri)
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.startswith("file://")
    assert diagnostic.code_description.href.endswith("/docs/rules/NS101.md")
    assert Path(diagnostic.code_description.href.removeprefix("file://")).is_file()
    assert "inferred input range [0, 1]" in diagnostic.message
    [related] = diagnostic.related_information
    assert related.message == "x is assumed in [-inf, inf] (any float32 value)"
    assert related.location.uri == uri and related.location.range.start == types.Position(2, 0)


@pytest.mark.parametrize("fake_client", [{"severity": {"NS101": "off"}, "rulesUrl": "https://example.org/rules/"}],
                         indirect=True)
async def test_severity_off_hides_the_code(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(x)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    assert await publication(fake_client, uri) == []


@pytest.mark.parametrize("fake_client", [{"rulesUrl": "https://example.org/rules/"}], indirect=True)
async def test_rules_url_setting(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(x)\n", encoding="utf-8")
    [diagnostic] = await publication(fake_client, open_file(fake_client, model))
    assert diagnostic.code_description.href == "https://example.org/rules/NS101.md"


# -- hover -------------------------------------------------------------------------------------------------

async def test_hover_shows_ranges_shape_and_verdicts(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-assume: x 2\nx = placeholder()\nz = log(x) + sqrt(x)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)

    def hover(line: int, character: int):
        return fake_client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)))

    unsafe = await hover(2, 6)
    assert unsafe is not None and unsafe.range == types.Range(types.Position(2, 4), types.Position(2, 10))
    text = unsafe.contents.value
    assert "`Log_model_3_0` (Log): output in [-inf, 0], shape [?, 10], float32" in text
    assert "**unsafe** (NS101)" in text and "x is assumed in [-inf, inf]" in text

    safe = (await hover(2, 15)).contents.value
    assert "(Sqrt): output in [0, 2], shape [3]" in safe and "proven safe: its input stays in [0, 4]" in safe

    assert await hover(0, 3) is None      # no op was created there


# -- settings ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "fake_client",
    [{"trusted": "yes", "traceTimeout": -1, "ranges": {"x": [2, 1]}, "interpreter": "", "colour": "blue"}],
    indirect=True,
)
async def test_bad_settings_are_logged_by_key_and_defaulted(fake_client: LanguageClient, tmp_path: Path):
    await until(lambda: fake_client.messages)
    text = logged(fake_client)
    for key in ("trusted", "traceTimeout", "ranges.x", "colour"):
        assert f"{key}:" in text
    assert "interpreter" not in text            # "" is the editor's way of saying "the default"
    [message] = fake_client.messages            # one warning naming every bad key; still trusted
    assert message.type == types.MessageType.Warning
    assert "trusted, traceTimeout, ranges.x, colour" in message.message
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    assert len(await publication(fake_client, open_file(fake_client, model))) == 1


async def test_did_change_configuration_reanalyses_without_tracing(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    [first] = await publication(fake_client, uri)
    assert first.severity == types.DiagnosticSeverity.Warning

    mark = published_count(fake_client)
    fake_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"nanscope": {"severity": {"NS101": "hint"}}}))
    [changed] = await publication(fake_client, uri, since=mark)
    assert changed.severity == types.DiagnosticSeverity.Hint
    assert "trace 1" in changed.message and "run 1" in changed.message     # nothing ran again

    mark = published_count(fake_client)      # the flat object the VS Code extension sends; ranges changed
    fake_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"trusted": True, "ranges": {"y": [0.5, 1]}, "severity": {}, "traceTimeout": 120}))
    [rerun] = await publication(fake_client, uri, since=mark)
    assert rerun.severity == types.DiagnosticSeverity.Warning
    assert "trace 1" in rerun.message and "run 2" in rerun.message         # re-analysed, not re-traced


async def test_did_change_configuration_pulls_when_the_payload_is_empty(fake_client: LanguageClient,
                                                                         tmp_path: Path):
    fake_client.set_configuration({"severity": {"NS101": "error"}}, section="nanscope")
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)
    mark = published_count(fake_client)
    fake_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    [pulled] = await publication(fake_client, uri, since=mark)
    assert pulled.severity == types.DiagnosticSeverity.Error


@pytest.mark.parametrize("fake_client", [{"severity": {"NS101": "hint"}}], indirect=True)
async def test_pyproject_settings_win_and_bad_keys_are_named(fake_client: LanguageClient, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nanscope]\nseverity = {NS101 = "error"}\ntimeout = "soon"\n', encoding="utf-8")
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    [diagnostic] = await publication(fake_client, open_file(fake_client, model))
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    await until(lambda: fake_client.messages)
    assert "timeout" in fake_client.messages[0].message
    assert "pyproject.toml [tool.nanscope]: timeout: expected a positive number" in logged(fake_client)


def traces_of(client: LanguageClient, name: str) -> int:
    return sum(1 for m in client.log_messages if m.message.startswith(f"nanscope: traced {name}:"))


@pytest.mark.parametrize("fake_client", [{"logLevel": "info"}], indirect=True)
async def test_configured_entry_points(fake_client: LanguageClient, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.nanscope]\nentry-points = ["train.py"]\n', encoding="utf-8")
    (tmp_path / "train.py").write_text("import model\n", encoding="utf-8")     # the static import graph
    model = tmp_path / "model.py"
    model.write_text("def loss(p):\n    return log(p)\n", encoding="utf-8")
    notes = tmp_path / "notes.py"
    notes.write_text("x = 1\n", encoding="utf-8")

    model_uri = open_file(fake_client, model)        # opening a module traces the entry point that imports it
    [finding] = await publication(fake_client, model_uri)
    assert traces_of(fake_client, "train.py") == 1 and traces_of(fake_client, "model.py") == 0

    mark = published_count(fake_client)              # no entry point reaches notes.py: it runs as a script
    await publication(fake_client, open_file(fake_client, notes), since=mark)
    mark = published_count(fake_client)
    save_file(fake_client, notes, "x = 2\n")
    assert await publication(fake_client, notes.as_uri(), since=mark) == []
    assert traces_of(fake_client, "notes.py") == 2 and traces_of(fake_client, "train.py") == 1
    assert publications(fake_client, model_uri, since=mark) == []

    mark = published_count(fake_client)              # saving the module traces the entry point again
    save_file(fake_client, model, "def loss(p):\n    return log(p)  # edited\n")
    await publication(fake_client, model_uri, since=mark)
    assert traces_of(fake_client, "train.py") == 2 and traces_of(fake_client, "model.py") == 0


# -- trust -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fake_client", [{"trusted": False}], indirect=True)
async def test_untrusted_workspace_runs_nothing_but_analyses_graph_files(fake_client: LanguageClient,
                                                                          tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    await until(lambda: fake_client.messages)
    [message] = fake_client.messages
    assert "not trusted" in message.message
    open_file(fake_client, model)
    save_file(fake_client, model)
    graph = tmp_path / "model.pbtxt"
    graph.write_text('node { name: "log(x)" op: "Log" }\n', encoding="utf-8")
    graph_uri = open_file(fake_client, graph)
    assert len(await publication(fake_client, graph_uri)) == 1     # a saved graph runs no code
    await asyncio.sleep(0.5)
    assert set(fake_client.diagnostics) == {graph_uri}
    assert len(fake_client.messages) == 1                            # told once
    assert "not tracing model.py: the workspace is not trusted" in logged(fake_client)
