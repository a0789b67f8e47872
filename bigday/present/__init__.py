"""Presentation for people at a terminal: tables, progress and colour with ``rich``.

The library returns typed results and never prints; the verbs in ``bigday.cli`` hand those results to these
functions. Text from scenarios or run folders is always shown as text (``rich.text.Text``), never as markup.
"""
