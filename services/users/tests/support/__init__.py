"""What the tests share besides fixtures: helpers, subprocess servers and a settable clock.

Imported by its full name from the repository root (`services.users.tests.support`), by the
service's tests and by the system tests in the root `tests` package alike.
"""
