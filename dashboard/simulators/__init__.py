"""Stripe and Zendesk simulators: real HTTP servers on 127.0.0.1 speaking the two APIs' shapes.

The demo store runs them with the demo's own objects (`dashboard.simulators.demo`), so every action can be
tried without real accounts; the tests and benchmarks run the same servers with their own objects and
inject faults. Importing the package registers every route module.
"""

from dashboard.simulators import stripe, stripe_corrections, stripe_privacy, zendesk, zendesk_people

__all__ = ["stripe", "stripe_corrections", "stripe_privacy", "zendesk", "zendesk_people"]
