"""Forecasting use cases, one module per area: ``model`` (the served model, cached per
container), ``sales`` (histories, forecasts, demand analysis, plots), ``stock`` (stock-out
risk per product), ``uploads`` (a seller's own sales CSV)."""
