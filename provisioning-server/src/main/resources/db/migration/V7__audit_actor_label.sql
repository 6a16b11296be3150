-- Issue 27: the audit's actor is the authenticated credential; what a caller says about itself (X-Actor) is kept
-- beside it, as an untrusted label. Portable SQL (H2 and PostgreSQL).

ALTER TABLE audit_events ADD COLUMN actor_label VARCHAR(128);
