"""Wire conformance: every object the fakes serve, checked against the vendored vendor specs."""
