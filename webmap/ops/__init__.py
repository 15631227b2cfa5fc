"""Running the site in production: its secret key, health check, request log and backups."""
