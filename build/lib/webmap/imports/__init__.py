"""Importing files in the browser: upload, check (a dry run), confirm, watch it run, roll back.

Every kind of file goes through the same importer functions as the command line
(webmap.importers.*), so the messages, the all-or-nothing rule and the audit record are the same.
"""
