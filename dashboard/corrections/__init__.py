"""Billing corrections: refunds, credit notes, discounts, quantity and price changes, voids.

`validation` checks a form (locally, then against a fresh Stripe read), `workflow` stores, approves
and executes corrections, `execution` makes the Stripe calls and updates the mirror, `targets` offers
what a form can act on, `history` lists corrections. See docs/billing-corrections.md.
"""
