"""Settings changes after start: `workspace/didChangeConfiguration`.

The notification's `settings` may be the flat settings object (what nanscope's VS Code extension sends),
or an object holding it under "nanscope" (what most clients send for a server's section). When it holds
neither, the server asks for the "nanscope" section with `workspace/configuration`, if the client offers
it. The new object replaces the previous didChangeConfiguration layer (see `nanscope.server.settings`);
its problems are reported by key, and every entry point is re-run (cached traces make that cheap).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from lsprotocol import types

from nanscope.server.app import NanscopeServer
from nanscope.server.settings import FIELDS, SECTION

logger = logging.getLogger(__name__)


def register(server: NanscopeServer) -> None:
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)


async def did_change_configuration(ls: NanscopeServer, params: types.DidChangeConfigurationParams) -> None:
    raw = _ours(params.settings)
    if raw is None and _can_pull(ls):
        try:
            values = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)]))
        except Exception as error:  # noqa: BLE001 - a client that fails this request only loses the pull
            logger.info("workspace/configuration failed: %s", error)
            values = None
        raw = values[0] if values else None
    ls.report_problems(ls.store.set_changed(raw))
    ls.settings_changed()


def _ours(settings: object) -> object:
    """Our settings object inside a didChangeConfiguration payload, or None when it carries none."""
    if not isinstance(settings, Mapping) or not settings:
        return None
    if isinstance(settings.get(SECTION), Mapping):
        return settings[SECTION]
    known = set(FIELDS) | {"entry-points", "timeout", "log-level"}
    return settings if any(key in known for key in settings) else None


def _can_pull(ls: NanscopeServer) -> bool:
    capabilities = ls.client_capabilities
    workspace = capabilities.workspace if capabilities is not None else None
    return bool(workspace is not None and workspace.configuration)
