"""Importers: read a file, check every row, and write all of it or nothing."""

from webmap.importers.common import ImportFailed, ImportReport, Problem

__all__ = ["ImportFailed", "ImportReport", "Problem"]
