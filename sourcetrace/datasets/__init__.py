"""Readers of public data sets in their distributed file formats."""
