"""Users and auth microservice. The factory is `users_service.app.create_app`.

Nothing is imported here: gunicorn's config imports `users_service.config` in the master,
and gevent must patch the standard library before ssl and friends are loaded.
"""
