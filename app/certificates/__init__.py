"""Certificates (issue #20): a PDF for a volunteer who has given enough, and its public check."""
