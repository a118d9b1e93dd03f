"""Zendesk: what the console shows of the apps' installations (screens and charts)."""
