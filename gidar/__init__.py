"""gidar: shared pieces of the pipeline (template registry, regions, settings)."""

__version__ = "0.1.0"
