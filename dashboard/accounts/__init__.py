"""Customer accounts: the facts an account manager works from, Account 360 and "My accounts".

`facts.account_facts` holds every per-account rule once (MRR, renewal, past due, health, churn risk,
reconciliation issues); `screen.account_screen` and `my_accounts.my_accounts_screen` build the pages.
"""
