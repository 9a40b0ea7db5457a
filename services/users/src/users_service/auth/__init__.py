"""Authentication: register, log in, refresh, log out; guards, passwords, tokens, token
families and rate limits."""
