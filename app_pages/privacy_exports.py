"""Exports and deletions for one privacy request (?request=<id>)."""

from dashboard.ui.access import require_page
from dashboard.ui.privacy_exports import show_page

actor = require_page("privacy-exports")
show_page(actor)
