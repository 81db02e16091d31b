"""Server-initiated work-done progress (`window/workDoneProgress/create`, then `$/progress`).

Owns `WorkDone`: one progress token per analysis run, begun with "tracing NAME" (or "analysing NAME"),
reported as "analysing NAME", ended with a one-line summary. The words "tracing"/"analysing" are what
clients such as nanscope's VS Code status bar look for. Nothing is sent to a client that does not
announce `window.workDoneProgress`, or that does not answer the create request in time.
"""
from __future__ import annotations

import asyncio
import itertools
import logging

from lsprotocol import types
from pygls.lsp.server import LanguageServer

logger = logging.getLogger(__name__)

TITLE = "nanscope"
CREATE_TIMEOUT = 2.0
_tokens = itertools.count(1)


def supported(ls: LanguageServer) -> bool:
    capabilities = ls.client_capabilities
    window = capabilities.window if capabilities is not None else None
    return bool(window is not None and window.work_done_progress)


class WorkDone:
    def __init__(self, ls: LanguageServer, token: str) -> None:
        self.ls, self.token = ls, token
        self.ended = False

    @classmethod
    async def begin(cls, ls: LanguageServer, message: str) -> WorkDone | None:
        if not supported(ls):
            return None
        token = f"nanscope-{next(_tokens)}"
        try:
            await asyncio.wait_for(ls.work_done_progress.create_async(token), CREATE_TIMEOUT)
        except (asyncio.TimeoutError, RuntimeError) as error:   # pygls raises JsonRpc errors as RuntimeError
            logger.debug("the client refused progress token %s: %s", token, error)
            return None
        except Exception as error:  # noqa: BLE001 - any protocol error only costs us the progress bar
            logger.debug("progress token %s failed: %s", token, error)
            return None
        progress = cls(ls, token)
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=TITLE, message=message,
                                                                       cancellable=False))
        return progress

    def report(self, message: str) -> None:
        if not self.ended:
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(message=message))

    def end(self, message: str | None = None) -> None:
        if not self.ended:
            self.ended = True
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)   # pygls keeps every token otherwise
