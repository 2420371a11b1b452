"""Schedules other projects publish: fetched, recognised by their content, read as dated entries.

Three formats are understood: the Kubernetes website's patch-release file, the timeline table
of a sig-release `release-1.NN/README.md`, and OpenStack's `doc/source/<series>/schedule.yaml`.
A file that is none of them, or one of them with a field missing or unreadable, is refused
with the reason and the line. Nothing here touches the database or Slack.
"""
