"""Deletion requests: a plan shown to the officer first, then one step per system, each retried alone.

`plan` finds the subject (exact email) and says per system what will be deleted or anonymised and what
is kept and why; `steps` confirms a plan into PrivacyRequestSteps, runs and verifies each step, and
writes the deletion record.
"""
