"""Tables of the meeting feature."""
