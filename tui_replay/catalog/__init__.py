"""Scan folders for recordings, cache their summaries, filter and group them (no Textual here)."""
