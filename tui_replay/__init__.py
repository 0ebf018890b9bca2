"""tui-replay: browse, replay and re-issue recorded LLM API conversations."""

__version__ = "0.1.0"
