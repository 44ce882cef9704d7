DROP TABLE event_revisions;
DROP TABLE events;
