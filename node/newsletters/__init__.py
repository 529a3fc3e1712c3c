"""Newsletters: mailings editors write, preview, test, schedule and send, throttled and resumable."""
