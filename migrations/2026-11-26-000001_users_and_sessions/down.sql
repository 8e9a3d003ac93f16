DROP TABLE demo_seeds;
DROP TABLE audit_events;
DROP TABLE refresh_tokens;
DROP TABLE users;
