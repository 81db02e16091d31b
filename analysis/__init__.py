"""nanscope.analysis: the engine. Graph IR, abstract domain, transformers, checks, tracing, source mapping.

Entry points for callers are `nanscope.analysis.api` (the facade) and `nanscope.analysis.cli`.
"""
