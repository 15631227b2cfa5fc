"""Telling people things: email to residents, groups and staff."""
