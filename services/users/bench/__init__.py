"""`make bench`: throughput, latency, cold start and memory of the service under its
production gunicorn settings, against a bare WSGI app served the same way (the ceiling).

Run as `python -m bench` from services/users (the Makefile does); see options.py for the
BENCH_* variables.
"""
