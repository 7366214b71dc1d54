"""freshrepl: an interactive Python shell that never runs stale code."""

__version__ = "0.1.0"
