"""``bigday serve``: the dashboard served live from the store, per studio, behind hashed tokens."""
