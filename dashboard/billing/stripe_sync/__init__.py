"""Mirror Stripe into the store: full and incremental runs, idempotent upserts, account linking."""

from dashboard.billing.stripe_sync.linking import UnlinkedCustomer, link_customers, unlinked_customers
from dashboard.billing.stripe_sync.runner import SyncResult, run_stripe_sync

__all__ = ["SyncResult", "UnlinkedCustomer", "link_customers", "run_stripe_sync", "unlinked_customers"]
