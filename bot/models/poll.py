"""Tables of the poll feature."""
