"""Storage: every SQL statement and every file cpe writes in its home lives here."""
