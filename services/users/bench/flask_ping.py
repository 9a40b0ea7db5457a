"""The limit for GET /ping: a bare Flask app whose one route answers like the service's
/ping, served by the same gunicorn configuration. What the service's /ping costs above this
is the service's own (its blueprints, request hooks, error handlers); what this costs above
the bare WSGI ceiling is Flask's."""

from flask import Flask, Response

from bench.hello_wsgi import BODY

app = Flask(__name__)


@app.get("/ping")
def ping() -> Response:
    return Response(BODY, mimetype="application/json")
