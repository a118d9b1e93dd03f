"""Infrastructure every domain uses: store and migrations, settings and keys, the one clock, the audit
chain, money, errors and ids, scheduled jobs and their runs, mail."""
