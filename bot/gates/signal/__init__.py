"""Native release-signal gates: a GitHub issue search and TestGrid dashboards."""
