-- Wrong passwords, by the name they were tried for: past MAX_FAILURES within FAILURE_WINDOW the name is refused
-- until the oldest of them leaves the window (app/backoffice/managers.py), whatever the password.
CREATE TABLE login_failures (
    name text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_name_at ON login_failures (name, at);
