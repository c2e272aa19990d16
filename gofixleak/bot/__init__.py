"""The fix pull-request bot: verified fixes, one commit per rule, one pull request.

``gofixleak pr`` (gofixleak/bot/command.py) finds and verifies the fixes, commits them with git
plumbing on a branch named from their fingerprint (gofixleak/bot/plan.py, gofixleak/bot/git.py),
pushes it, and opens or updates the pull request through the GitHub REST API
(gofixleak/bot/github.py).
"""
