"""A minimal fake used to test the registry and shared machinery without any real fake."""
