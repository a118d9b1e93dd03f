"""Billing corrections: refunds, credit notes, discounts, quantity and price changes, voids.

`kinds` is the registry (one module per kind: checks, preview, Stripe call, how to find the result in
Stripe), `validation` checks a form (locally, then against a fresh Stripe read), `workflow` stores,
approves, sends and settles corrections through their states, `execution` makes one attempt and
judges Stripe's answer, `targets` offers what a form can act on, `history` lists corrections.
See docs/billing-corrections.md.
"""
