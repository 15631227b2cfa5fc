"""Moderation: what staff do to submitted places and suggested changes, duplicate warnings, and its pages."""
