"""Tables of the gate feature."""
