"""Computation graphs: our immutable IR and the loaders that build it from GraphDef protobufs."""
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.graph.loader import GraphLoadError, graph_from_bytes, graph_from_text, load_graph_file

__all__ = ["Graph", "GraphLoadError", "Node", "TensorRef", "graph_from_bytes", "graph_from_text", "load_graph_file"]
