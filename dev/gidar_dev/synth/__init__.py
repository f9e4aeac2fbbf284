"""Generator of realistic synthetic 政府信息公开工作年度报告 PDFs with ground truth.

Used for round-trip tests, demo samples and multi-year fixtures; the truth JSON has the format
of docs/truth-format.md so ``score_extraction.py`` and ``gidar eval`` can score it.
"""

from gidar_dev.synth.options import CHOICES, LayoutOptions, draw_options
from gidar_dev.synth.report import SynthReport, make_report, render_pdf
from gidar_dev.synth.values import ERROR_KINDS, draw_values, plant_error, violations_of

__all__ = [
    "CHOICES",
    "ERROR_KINDS",
    "LayoutOptions",
    "SynthReport",
    "draw_options",
    "draw_values",
    "make_report",
    "plant_error",
    "render_pdf",
    "violations_of",
]
