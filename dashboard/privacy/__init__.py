"""Privacy requests: intake, legal deadlines, the state machine, the timeline, corrections and opt-outs.

Modules: `deadlines` (one function per legal rule), `states` (allowed transitions), `requests` (the
service every change goes through: versioned, audited, on the timeline), `queue` (the officer's
worklist), `subjects` (corrections, opt-outs, the suppression list), `reports`, `retention`.
"""
