"""`make bench`: throughput, latency, overload behaviour, cold start and memory of the service
under its production gunicorn settings, against three apps served the same way: a bare WSGI
app (the ceiling), a bare Flask route (the limit for /ping) and a Flask app doing one raw
psycopg2 SELECT (the limit for an endpoint that reads the database).

Run as `python -m bench` from services/users (the Makefile does); see options.py for the
BENCH_* variables.
"""
