"""Turns harvested partner records into works and keeps them in a search engine."""
