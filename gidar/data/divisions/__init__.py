"""National division codes (CC0) and Zhejiang townships; see README.md here."""
