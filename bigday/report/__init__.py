"""Reports: terminal, Markdown, JUnit XML, JSON, HTML dashboard."""
