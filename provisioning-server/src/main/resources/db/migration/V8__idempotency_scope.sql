-- Issue 27: an Idempotency-Key belongs to the credential that sent it. The stored key is "SCOPE KEY" (SCOPE: the
-- consumer key's id, c17; a key is visible ASCII, so the space cannot be part of it), hence the longer column.
-- Rows written before hold the bare key and are matched by no caller any more; they expire within 24 hours.
-- Portable SQL (H2 and PostgreSQL).

ALTER TABLE idempotency_keys ALTER COLUMN idem_key SET DATA TYPE VARCHAR(300);
