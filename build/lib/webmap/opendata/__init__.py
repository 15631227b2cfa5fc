"""Open data out and in: exports, Open Referral UK, the OpenAPI description and their CLI commands."""
