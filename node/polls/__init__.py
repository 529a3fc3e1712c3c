"""Polls in posts and forum topics, federated as `Question` (FEP-9967, as Mastodon does them)."""
