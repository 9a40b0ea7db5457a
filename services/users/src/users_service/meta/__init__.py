"""The service's own routes: liveness and readiness, the seed value, and its API documentation."""
