"""The WSGI entry point gunicorn serves: `users_service.wsgi:app`."""

from users_service.app import create_app

app = create_app()
