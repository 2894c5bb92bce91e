"""Reports built only from run folders: report.html, report.md, scores.csv, results.json."""

from .writer import FORMATS, write_reports

__all__ = ["FORMATS", "write_reports"]
