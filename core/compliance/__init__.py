"""Compliance (合规): the regulation library, knowledge base and self-assessment."""
