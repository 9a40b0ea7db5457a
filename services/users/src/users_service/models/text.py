"""Rules for the text of stored names (usernames, file names)."""

# Control, format (bidi overrides), surrogate and line-separator characters would make names
# unprintable, spoofable in a UI, and logs forgeable.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
