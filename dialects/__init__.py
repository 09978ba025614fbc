"""The vendor dialects. Each package serves one vendor's public REST API over the core."""
