-- Scale out (docs/architecture.md#scale-out): several instances on one PostgreSQL. Portable SQL (H2 and PostgreSQL).

-- The box's ownership row is its devices row: the instance holding its session, and the fencing token that
-- grows at every takeover (each accepted hello). Every write an instance makes for a box checks the token its
-- session got against this one, in the same transaction: a stale session changes nothing.
ALTER TABLE devices ADD COLUMN owner_instance VARCHAR(128);
ALTER TABLE devices ADD COLUMN owner_token BIGINT DEFAULT 0 NOT NULL;

CREATE INDEX devices_owner ON devices (owner_instance);

-- One row per running instance, renewed by its heartbeat; a row whose lease ran out is an instance taken for
-- dead: another instance fences its boxes (tokens + 1) and makes their pushes due again.
CREATE TABLE instances (
    instance_id        VARCHAR(128)  NOT NULL PRIMARY KEY,
    agent_address      VARCHAR(128)  NOT NULL,
    started_at         TIMESTAMP     NOT NULL,
    heartbeat_at       TIMESTAMP     NOT NULL,
    lease_until        TIMESTAMP     NOT NULL
);
