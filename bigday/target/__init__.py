"""The embedded reference target: a small multi-tenant wedding app with fault knobs."""
