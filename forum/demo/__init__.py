"""`forum demo`: content from the SBSTA 63 workshop report on non-market approaches."""
