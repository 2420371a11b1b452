"""The release schedule: dated milestones, their countdown in the channel, and the phase.

A milestone is an instant (with the zone it was meant in), optionally owned by a role and
explained by a description. It is fixed, or relative to release day (its offset is kept as
text like `-33d 02:00 UTC`, so `/release postpone` recomputes it). Templates lay out a whole
schedule from release day; each milestone is announced at its countdown offsets, once.
"""
