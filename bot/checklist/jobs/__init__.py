"""Steps that run the job: a checklist step whose template says `run:` (PRODUCT.md §5).

A person presses Run; the step's job (a GitHub Actions `workflow_dispatch`) is claimed in
the database, sent once, and followed by the leader until it concludes, which completes or
fails the step. `spec` reads the template's `run:`, `rules` holds the claim and its moves,
`github` speaks to GitHub's REST API through the guarded fetch, `flows` ties them to the
outbox and the timers.
"""
