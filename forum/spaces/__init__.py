"""Spaces: one per NMA, workshop or general topic; their moderators; who may see them."""
