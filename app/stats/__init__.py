"""Operational numbers of the contributor loop: queue depths, recent activity."""
