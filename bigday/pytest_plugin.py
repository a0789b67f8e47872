"""pytest plugin: fixtures that measure a page of the app under test and return typed vitals."""
