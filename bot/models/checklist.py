"""Tables of the checklist feature."""
