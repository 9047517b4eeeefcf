"""World cafés: tables with hosts, timed rounds, seating, table chat, harvests, archive."""
