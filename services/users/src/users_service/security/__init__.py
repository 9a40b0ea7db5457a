"""Password hashing and access tokens: the only places that touch credentials."""
