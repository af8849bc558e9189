"""Realistic instances on real CBS municipalities and wijken."""
