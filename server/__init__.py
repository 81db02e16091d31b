"""nanscope.server: the language server that publishes nanscope's findings as LSP diagnostics.

Modules, one concern each:
- `app`: the `NanscopeServer` (a pygls `LanguageServer` holding the state) and `create_server`, which wires
  the lifecycle handlers and the features together;
- `settings`: typed settings and their sources (initializationOptions, didChangeConfiguration,
  `[tool.nanscope]` in pyproject.toml); a bad value -> its default + a message naming the key;
- `configuration`: the `workspace/didChangeConfiguration` feature;
- `engine`: the only module that calls the analysis facade (trace with the long-lived trace worker, then
  analyse); `cache`: results per entry point, keyed by the content of the files they depend on;
- `scheduler`: which entry points an editor event concerns, debounce, cancellation, stale results;
- `publish`: diagnostics for every file with findings, merged over entry points, cleared when gone;
- `progress`: `$/progress` work-done reports;
- `convert`: the only module that knows both our report types and lsprotocol types;
- `diagnostics`: the document events (open, save, change, close);
- `hover`: what the analysis inferred for the ops of a call;
- `code_actions`: quick fixes, fix-all and ignore comments;
- `__main__`: `python -m nanscope.server` serves LSP over stdio.
"""
