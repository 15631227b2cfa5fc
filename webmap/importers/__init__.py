"""Importers: read a file, check every row, and write all of it or nothing."""
from .common import ImportFailed, ImportReport, Problem

__all__ = ["ImportFailed", "ImportReport", "Problem"]
