#!/usr/bin/env bash
# Until the first release ships, the schema lives in one initial migration. After changing models/,
# run this to regenerate it (later, once real stores exist, add new revisions with autogenerate instead).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial_schema.py
DATABASE_URL="sqlite:///$tmp/gen.sqlite3" python -m alembic revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
rm -rf "$tmp"
echo "regenerated migrations/versions/0001_initial_schema.py"
