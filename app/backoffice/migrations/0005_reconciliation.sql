-- Reconciliation (app/backoffice/reconcile.py): each run of the provider's payment requests of a business day
-- against the sales the devices reported, and what it found. A run is stored whole, in one transaction.

CREATE TABLE reconciliation_runs (
    id bigserial PRIMARY KEY,
    provider text NOT NULL,
    day date NOT NULL,  -- the business day compared
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    requests_seen integer NOT NULL,  -- the provider's requests of the day
    sales_seen integer NOT NULL,  -- the sales the devices reported for the day, on that provider
    run_by text NOT NULL DEFAULT ''  -- a manager's name, or '' for the command line
);
CREATE INDEX reconciliation_runs_latest ON reconciliation_runs (finished_at DESC, id DESC);

CREATE TABLE reconciliation_findings (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES reconciliation_runs (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('paid_not_reported', 'reported_not_paid', 'amount_differs')),
    request_id text NOT NULL,
    sale_id text,  -- the sale that holds the request, when a device reported one
    held_status text,  -- the sale's status as reported (NULL: no device reported the request)
    provider_status text,  -- TillQR's word for the provider's status (NULL: the provider does not know it)
    provider_amount numeric,  -- what the provider says was paid
    held_amount numeric,  -- what the device says was received
    currency text NOT NULL DEFAULT ''
);
CREATE INDEX reconciliation_findings_run ON reconciliation_findings (run_id, kind);

-- Sales by their provider request id (a request the provider lists is looked up whatever its day).
-- (sales by request id: 0004's index sales_request serves the lookups)
