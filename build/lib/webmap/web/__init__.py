"""HTTP plumbing shared by every page: security headers and sessions, errors, compression, vendored files."""
