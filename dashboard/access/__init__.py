"""Who may do what: sign-in and sessions, users and roles, the navigation table, masking for executives."""
