"""summcheck: summarization and fact-check evaluation harness."""

import logging

__version__ = "0.1.0"

# Warnings go through logging (summcheck/log.py); without configuration they go nowhere
# (not to Python's last-resort stderr handler): the CLI prints them, a program decides.
logging.getLogger(__name__).addHandler(logging.NullHandler())
