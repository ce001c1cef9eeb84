"""Sustainability dashboard for public service mutuals: data, indicators, charts, reports."""
