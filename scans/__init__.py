"""Scanned pages in: read, normalise, decode, match to the printed edition page, file in the archive."""
