"""Stripe: the gateway, the mirror sync and webhooks, subscriptions, reconciliation, revenue metrics and
billing corrections."""
