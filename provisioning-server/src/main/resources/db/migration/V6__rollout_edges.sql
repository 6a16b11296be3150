-- Rollouts at the edges (docs/operations.md#staged-rollouts). Portable SQL (H2 and PostgreSQL).

-- One open rollout per service, held by the database: open_service equals service_name while the box's rollout is
-- open (scheduled, running, paused) and is NULL once it ended, as migrations.open_service does for orders (V2). Two
-- rollouts created at the same moment cannot both take a service: the second insert fails on the key.
ALTER TABLE rollout_boxes ADD COLUMN open_service VARCHAR(128);
ALTER TABLE rollout_boxes ADD CONSTRAINT rollout_boxes_one_open UNIQUE (open_service);
UPDATE rollout_boxes SET open_service = service_name WHERE state IN ('pending', 'pushed')
    AND rollout_id IN (SELECT id FROM rollouts WHERE state IN ('scheduled', 'running', 'paused'))
    AND rollout_id = (SELECT MIN(o.rollout_id) FROM rollout_boxes o JOIN rollouts r ON r.id = o.rollout_id
                      WHERE o.service_name = rollout_boxes.service_name AND o.state IN ('pending', 'pushed')
                      AND r.state IN ('scheduled', 'running', 'paused'));

-- withdrawn: the rollout ended (aborted, cancelled) before the box applied its change, and the change was taken back
ALTER TABLE rollout_boxes DROP CONSTRAINT rollout_boxes_state;
ALTER TABLE rollout_boxes ADD CONSTRAINT rollout_boxes_state CHECK (state IN ('pending', 'pushed', 'applied', 'failed',
    'superseded', 'skipped', 'reverted', 'withdrawn'));

-- a wave of a cancelled rollout is cancelled, not failed; a wave that never started when the rollout ended too
ALTER TABLE rollout_waves DROP CONSTRAINT rollout_waves_state;
ALTER TABLE rollout_waves ADD CONSTRAINT rollout_waves_state CHECK (state IN ('pending', 'running', 'done', 'failed',
    'cancelled'));

-- the rate's token bucket: tokens left at rate_at (the driver refills it at max_per_minute / 60 a second)
ALTER TABLE rollouts ADD COLUMN rate_tokens DOUBLE PRECISION;
ALTER TABLE rollouts ADD COLUMN rate_at TIMESTAMP;
