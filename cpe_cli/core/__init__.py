"""The domain: records, credits, periods, catalog and the one error type. Imports neither storage nor the command line."""
