"""A person's own data: download it all as a zip, or have it erased (issue #20)."""
