-- The back office's pages: the managers who log in (argon2 hashes, app/backoffice/managers.py), their sessions
-- (a cookie holds the session's id, signed with page_keys' key; the database keeps only its sha256), how a
-- conflict was resolved, and the index a sale's history is read by.

CREATE TABLE managers (
    name text PRIMARY KEY,
    password_hash text NOT NULL,  -- argon2id, as argon2-cffi's PasswordHasher writes it
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
);

CREATE TABLE manager_sessions (
    id_hash bytea PRIMARY KEY,  -- sha256 of the session's id (the cookie's)
    manager text NOT NULL REFERENCES managers (name) ON DELETE CASCADE,
    csrf text NOT NULL,  -- the token every POST form of this session carries
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX manager_sessions_expiry ON manager_sessions (expires_at);

-- One row: the key cookies are signed with, made by the first service that needs it (shared by every instance).
CREATE TABLE page_keys (
    id integer PRIMARY KEY CHECK (id = 1),
    key bytea NOT NULL
);

ALTER TABLE conflicts ADD COLUMN resolution text CHECK (resolution IN ('keep_first', 'take_second'));

-- A sale's history: its records (sale, sale_event, refund) by the sale's id.
CREATE INDEX records_sale ON records ((payload ->> 'sale_id')) WHERE kind IN ('sale', 'sale_event', 'refund');
