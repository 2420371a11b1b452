"""The guarded fetch every feature shares: the address guard, the secret grants, the request."""
