"""Reference data shipped with gidar (see README.md here)."""
