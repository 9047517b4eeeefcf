"""Live delivery only: the socket and its frames, topics, the hub, replay from the event log,
presence. The event log itself lives below every domain, in `forum.streams`."""
