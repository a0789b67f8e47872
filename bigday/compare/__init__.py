"""The comparator: thresholds, budgets, baselines, change points, alerts."""
