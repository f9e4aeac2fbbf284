"""PDF reading backends: PDFium (fast, the default) and pdfplumber (the reference).

`gidar.extract.pdf` is the door: it classifies the bytes, picks a backend and falls back to
the other one; the modules here only turn an opened file into a `document.Document`.
"""
