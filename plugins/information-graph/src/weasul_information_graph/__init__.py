"""weasul-information-graph: information-graph contrastive learning for sensor networks."""

from weasul_information_graph.encoders import InformationGraphEncoder

__all__ = ["InformationGraphEncoder"]
