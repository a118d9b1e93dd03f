"""Zendesk: the gateway, connections and sync, installations and their screens, the Marketplace import."""
