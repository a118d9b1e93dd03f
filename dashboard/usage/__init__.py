"""Usage analytics: ingest of app events, daily rollups, retention, and the figures pages read."""
