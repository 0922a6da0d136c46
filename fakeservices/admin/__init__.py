"""The admin API (``/__admin``): health, metrics, reset, the request journal, OpenAPI."""
