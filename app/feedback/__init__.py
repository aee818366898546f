"""Feedback: the original platform's form (issue #20), stored for the team to read."""
