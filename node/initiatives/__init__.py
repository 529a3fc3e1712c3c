"""initiatives."""
