"""Mailing lists: subscribers by email (double opt-in), what and how often they receive, digests,
members' notification emails, bounces and complaints."""
