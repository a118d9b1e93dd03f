"""Access and portability exports: the subject's data from the store, Stripe and Zendesk in one ZIP.

`systems` says which outside systems are configured and finds the subject in them (exact email only),
`store`/`stripe`/`zendesk` collect one source each, `package` writes the ZIP (data.json, CSVs, README,
manifest), `service` runs an export source by source, retries failed sources, serves downloads
(audited) and purges expired files.
"""
