"""Load rehearsals: Locust user classes, the Saturday shape and the tenant-isolation verdict."""
