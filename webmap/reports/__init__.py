"""Printable reports: one ward on one or two A4 pages, to take to a meeting or attach to an email."""
