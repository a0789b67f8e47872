"""The settings layer: the scenario parsed once into frozen typed objects, units, and the ``BIGDAY_*`` environment.

Configuration precedence (flag > ``BIGDAY_*`` environment variable > scenario file > default) is resolved here
and nowhere else; no other module of bigday reads ``os.environ``.
"""
