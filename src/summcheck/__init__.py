"""summcheck: summarization and fact-check evaluation harness."""

__version__ = "0.1.0"
