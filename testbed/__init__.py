"""Test apparatus: the farm of synthetic sites, the bus.gov.ru stand-in and the demo.

Product code (``sveden``, ``crawler``, ``checks``, ``storage``, ``reports``, ``scheduler``) never
imports it; the one bridge is ``sveden.cli_demo``, which loads :mod:`testbed.demo` for ``sveden demo``.
"""
