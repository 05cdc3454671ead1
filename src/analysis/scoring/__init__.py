"""Scoring layer: instrument scores from item responses (reverse keys, prorating rule, ranges),
keyed item matrices for psychometrics, and attachment dimensions and styles.

Imports the data layer and the base modules.
"""
