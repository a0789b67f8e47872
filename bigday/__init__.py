"""bigday: synthetic monitoring and load rehearsal for a multi-tenant wedding-vendor web app."""

__version__ = "0.1.0"
