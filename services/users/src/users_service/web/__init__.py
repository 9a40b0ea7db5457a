"""HTTP plumbing every part of the service uses: errors, the wire format's bases, pagination,
ids in paths, request and instance ids, trusted proxies, the access and security event logs."""
