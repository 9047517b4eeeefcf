"""Round tables: a chair gives the floor in turn, live, and every intervention is recorded.

A round table belongs to a workshop space like a café and is chaired by that space's
moderators. Participants request the floor in a capacity they hold (their Party, the
LCIPP or its Facilitative Working Group, their observer organisation, the secretariat);
the chair gives it, in order or not, and ends each turn; the server's clock ends the
countdown and a reminder goes out once when it runs out. Every write runs in the caller's
transaction and appends its event to `roundtable:{id}` (forum.streams), whose data carries
the whole public state, so that a client can draw the room from any one event.

- `models`: round tables, requests for the floor, interventions;
- `policy`: who may chair, speak in which capacity, write a summary (pure);
- `wording`: how a capacity and an attribution read in a report (pure);
- `access`: finding a round table for a viewer, the row lock, the topic;
- `views`: what clients see (`RoundTableOut`), read with a fixed number of queries;
- `lifecycle`: opening and listing;
- `queue`: requesting the floor, withdrawing, moving and skipping requests;
- `floor`: giving the floor, ending the turn, summaries and attributions;
- `timer`: the reminder when a turn's time is up, derived from the stored end times;
- `archive`: closing a round table into a thread of its space.
"""
