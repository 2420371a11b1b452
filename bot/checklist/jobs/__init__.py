"""Steps that run the job: a checklist step whose template says `run:` (PRODUCT.md §5).

A person presses Run; the step's job is claimed in the database and started once: a GitHub
Actions `workflow_dispatch`, followed by the leader until the run concludes and completes
or fails the step, or a signed `step.run` event to one of the release's webhooks, whose job
reports through the API. `spec` reads the template's `run:`, `rules` holds the claim and its
moves, `github` speaks to GitHub's REST API through the guarded fetch, `webhook` builds the
event, `flows` ties them to the outbox and the timers.
"""
