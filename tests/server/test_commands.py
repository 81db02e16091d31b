"""`nanscope.analyzeWorkspace` (server/commands.py) with the real server: every file a `nanscope check` of
the workspace would cover is analysed without being opened, and an untrusted workspace runs no script."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.tensorflow


def _workspace(folder: Path) -> tuple[Path, Path]:
    script = folder / "model.py"
    graph = folder / "graphs" / "saved.pbtxt"
    graph.parent.mkdir()
    shutil.copyfile(EXAMPLES / "mnist_softmax.py", script)
    shutil.copyfile(EXAMPLES / "mnist_softmax.pbtxt", graph)
    (folder / "notes.py").write_text("print('no tensorflow here')\n", encoding="utf-8")
    return script, graph


def test_the_command_is_registered():
    # pygls advertises the registered commands (executeCommandProvider), which the VS Code extension checks
    from nanscope.server.app import create_server
    from nanscope.server.commands import ANALYZE_WORKSPACE

    assert ANALYZE_WORKSPACE in create_server().protocol.fm.commands


async def _analyze(client: LanguageClient):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="nanscope.analyzeWorkspace", arguments=[]))


async def test_analyze_workspace_analyses_every_model_file_without_opening_it(client: LanguageClient,
                                                                              tmp_path: Path):
    script, graph = _workspace(tmp_path)
    result = await _analyze(client)
    assert result["files"] == 2 and result["problems"] == []
    # the command answers when the runs have ended: the diagnostics are already there
    for path in (script, graph):
        [diagnostic] = client.diagnostics[path.as_uri()]
        assert diagnostic.code == "NS101"
    assert (tmp_path / "notes.py").as_uri() not in client.diagnostics


@pytest.mark.parametrize("client", [{"trusted": False}], indirect=True)
async def test_analyze_workspace_in_an_untrusted_workspace_runs_no_script(client: LanguageClient,
                                                                          tmp_path: Path):
    script, graph = _workspace(tmp_path)
    result = await _analyze(client)
    assert result["files"] == 2
    [diagnostic] = client.diagnostics[graph.as_uri()]
    assert diagnostic.code == "NS101"
    assert script.as_uri() not in client.diagnostics
