from flask.testing import FlaskClient


def test_ping_answers_pong(client: FlaskClient) -> None:
    reply = client.get("/ping")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "success", "message": "pong!"}
