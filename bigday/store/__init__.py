"""The results store: SQLite by default, PostgreSQL for teams."""
