"""The release seen from outside Slack: a private calendar feed and a read-only web page."""
