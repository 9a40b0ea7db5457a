"""Extensions created unbound; create_app binds them to an application."""

from flask_cors import CORS

from users_service.database import Database

db = Database()
cors = CORS()
