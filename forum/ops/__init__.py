"""Operations: /health and /metrics."""
