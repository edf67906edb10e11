"""Validation of the library: coverage of its intervals in simulated worlds, and published numbers reproduced.

``coverage``: Monte Carlo coverage of every interval and size of every test the reports print.
``published``: estimators run on public data sets against the values their sources publish.
"""
