"""Sales forecasting (S9): daily and monthly forecasts with intervals, demand analysis,
stock-out risk, a seller's uploaded sales history."""
