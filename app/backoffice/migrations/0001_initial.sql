-- The back office's first schema: devices and their enrolment, the records every device sent (once each),
-- what was refused or in conflict, each device's cursor per stream, and the projections the pages read.

CREATE TABLE devices (
    id text PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    kind text NOT NULL DEFAULT 'till' CHECK (kind IN ('till', 'laptop')),
    store text NOT NULL DEFAULT '',
    -- sha256 of the device's token: the token is 256 random bits, not a password, so a fast hash is right
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_seen timestamptz,
    last_skew_s double precision,
    flagged_skew boolean NOT NULL DEFAULT false
);

CREATE TABLE enrolments (
    code_hash bytea PRIMARY KEY,  -- sha256 of the one-time code (shown once, when made)
    name text NOT NULL DEFAULT '',
    kind text NOT NULL DEFAULT 'till' CHECK (kind IN ('till', 'laptop')),
    store text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    device_id text REFERENCES devices (id)
);

-- Every seq up to cursors.seq is handled (accepted, duplicate, conflict or refused) for that device and stream.
CREATE TABLE cursors (
    device_id text NOT NULL REFERENCES devices (id),
    stream text NOT NULL,
    seq bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, stream)
);

CREATE TABLE records (
    device_id text NOT NULL REFERENCES devices (id),
    stream text NOT NULL,
    seq bigint NOT NULL,
    record_id text NOT NULL UNIQUE,
    kind text NOT NULL,
    schema_version integer NOT NULL,
    payload jsonb NOT NULL,
    sha256 text NOT NULL,
    device_time timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    business_day date NOT NULL,  -- the device_time's date where the device is (its offset)
    late boolean NOT NULL DEFAULT false,  -- arrived after its business day was closed
    PRIMARY KEY (device_id, stream, seq)
);
CREATE INDEX records_day ON records (business_day);

-- A record sent again with other bytes (or its record_id already filed elsewhere): the first one stands.
CREATE TABLE conflicts (
    id bigserial PRIMARY KEY,
    device_id text NOT NULL REFERENCES devices (id),
    stream text NOT NULL,
    seq bigint NOT NULL,
    record_id text NOT NULL,
    sha256 text NOT NULL,  -- theirs: what was sent this time
    payload jsonb NOT NULL,
    first_sha256 text NOT NULL,  -- what the back office holds
    reason text NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_by text,
    UNIQUE (device_id, stream, seq, sha256, record_id)
);
CREATE INDEX conflicts_open ON conflicts (reported_at) WHERE resolved_at IS NULL;

-- Records refused for good (an unknown kind, a schema version out of range, bytes not matching their hash).
CREATE TABLE refused (
    device_id text NOT NULL REFERENCES devices (id),
    stream text NOT NULL,
    seq bigint NOT NULL,
    record_id text NOT NULL,
    kind text NOT NULL,
    schema_version integer NOT NULL,
    payload text NOT NULL,  -- as text: it may be what made it refused
    sha256 text NOT NULL,
    reason text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, stream, seq)
);

-- A store's business day closed by a person: records of it that arrive later are filed under it, marked late.
CREATE TABLE closed_days (
    store text NOT NULL,
    day date NOT NULL,
    closed_at timestamptz NOT NULL DEFAULT now(),
    closed_by text NOT NULL DEFAULT '',
    PRIMARY KEY (store, day)
);

-- Projections, updated in the batch's transaction (their columns read from the payload by app/backoffice/ingest.py;
-- a field that does not parse is left NULL, never a refused batch). sales: each sale as its latest SALE record
-- (by device seq).
CREATE TABLE sales (
    sale_id text PRIMARY KEY,
    device_id text NOT NULL REFERENCES devices (id),
    seq bigint NOT NULL,
    store text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT '',
    amount numeric,
    currency text NOT NULL DEFAULT '',
    provider text NOT NULL DEFAULT '',
    created_at timestamptz,
    closed_at timestamptz,
    business_day date NOT NULL,
    payload jsonb NOT NULL
);
CREATE INDEX sales_day ON sales (business_day, store);
CREATE INDEX sales_open ON sales (business_day) WHERE closed_at IS NULL;

-- readings: each bill's latest reading (READING records) and sync state (BILL_STATE records), by device seq.
CREATE TABLE readings (
    device_id text NOT NULL REFERENCES devices (id),
    bill_id text NOT NULL,
    reading_seq bigint,
    state_seq bigint,
    reading jsonb,
    state jsonb,
    business_day date NOT NULL,
    PRIMARY KEY (device_id, bill_id)
);
