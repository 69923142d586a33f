"""Private servers (PostgreSQL...) that tests start for themselves."""
