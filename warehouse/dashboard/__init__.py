"""The province data-quality dashboard: one static HTML file with embedded data and cropped PDF evidence."""

from .build import build_dashboard, build_payload

__all__ = ["build_dashboard", "build_payload"]
