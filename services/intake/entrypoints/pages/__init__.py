"""Intake's server-rendered web pages for caseworkers, companies and associations."""
