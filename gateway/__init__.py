"""Assembly: configuration, the app factory, rate limits, the operator API and the CLI."""
