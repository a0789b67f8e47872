"""The long-running side: ``bigday monitor`` (schedules, checks, alerts that open, remind and resolve), the
SLA arithmetic behind ``bigday sla``, maintenance windows and alert channels. State lives in the store, so a
monitor can be killed and restarted, and several monitors can share one PostgreSQL store."""
