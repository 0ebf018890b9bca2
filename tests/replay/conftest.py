"""Replay tests: helpers live in replay_helpers.py and replay_builders.py (unique module names)."""
