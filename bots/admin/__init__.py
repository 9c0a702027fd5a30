"""The admin dashboard: server-rendered pages over the same queries as the API."""
