"""Browser probes: Playwright + Chromium + web-vitals on the critical paths."""
