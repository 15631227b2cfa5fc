"""Security hardening shared across the app: sign-in throttling, redirects, input rules, safe CSV, headers."""
