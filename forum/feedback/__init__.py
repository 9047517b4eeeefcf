"""Participants' feedback on a workshop: polls a moderator attaches to a workshop space.

A poll asks single-choice, rating (1-5) and free-text questions, named or anonymous,
between its open and close times. Each participant answers once and may change the answer
until it closes; moderators read the results live (`poll:{id}` events), participants once
it has closed. The report's last chapter (reflections) is drawn from them."""
