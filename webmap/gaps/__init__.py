"""The gap analysis in pages: the gap map and table, ward profiles, printable reports, gap history and its CLI."""
