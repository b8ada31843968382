"""Analytics: engagement events, the raw event lake, aggregates, dashboards and exports."""
