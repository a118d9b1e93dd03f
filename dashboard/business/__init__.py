"""The executive's view across billing, Zendesk and usage (the Overview page)."""
