"""nanscope.server: the language server that publishes nanscope's findings as LSP diagnostics.

Modules, one concern each:
- `app`: the `NanscopeServer` (a pygls `LanguageServer` holding settings and per-document state) and
  `create_server`, which wires the lifecycle handlers and the features together;
- `settings`: typed settings parsed from `initializationOptions` (bad value -> default + a message);
- `engine`: the only module that calls the analysis facade `nanscope.analysis.api`;
- `convert`: the only module that knows both our report types and lsprotocol types;
- `diagnostics`: the diagnostics feature (analyse on open/save in a worker thread, publish, clear on close);
- `__main__`: `python -m nanscope.server` serves LSP over stdio.
"""
