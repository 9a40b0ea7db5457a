"""Users: the public list, single users, admin-created accounts, importing a reference
database."""
