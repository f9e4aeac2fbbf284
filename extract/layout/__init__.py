"""Table reconstruction from positioned words: the same engine for text-layer and OCR words."""
