"""Fixtures for the language-server tests: LSP clients connected to a server subprocess.

`client` runs the real server (`python -m nanscope.server`, real engine: tracing needs TensorFlow);
`fake_client` runs the same server with a stand-in engine (`fake_engine_server.py`) for fast, deterministic
protocol tests. Both initialize with VS Code's capabilities and `tmp_path` as the workspace root;
parametrize either indirectly with a dict (or a function of `tmp_path` returning one) to send it as
`initializationOptions`. Every publication is recorded in order (see `lsp_helpers.py`, which the tests
import by module name: with pytest's importlib import mode this folder is put on sys.path here).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lsp_helpers import RecordingDict  # noqa: E402 - needs the sys.path entry above


async def _initialize(client: LanguageClient, request, tmp_path: Path) -> None:
    client.diagnostics = RecordingDict()
    options = getattr(request, "param", None)
    if callable(options):
        options = options(tmp_path)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=tmp_path.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="workspace")],
            initialization_options=options,
        )
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "nanscope.server"]))
async def client(lsp_client: LanguageClient, request, tmp_path: Path):
    await _initialize(lsp_client, request, tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, str(HERE / "fake_engine_server.py")])
)
async def fake_client(lsp_client: LanguageClient, request, tmp_path: Path):
    await _initialize(lsp_client, request, tmp_path)
    yield
    await lsp_client.shutdown_session()


