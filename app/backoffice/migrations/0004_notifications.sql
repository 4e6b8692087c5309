-- The providers' notifications the back office received for the chain (app/backoffice/relay.py): each one
-- accepted is kept once, whichever instance took it (a replay hits event_key or body_key, both UNIQUE), then
-- announced with NOTIFY tillqr_notifications so every instance passes it to the devices connected to it.
-- device_id: the device whose sale holds the request (NULL: none known yet; sent to every device as a hint).

CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    provider text NOT NULL,
    request_id text NOT NULL,
    status text NOT NULL DEFAULT '',
    amount numeric,  -- major units, as the notification said (a hint; the till asks the provider)
    device_id text REFERENCES devices (id),
    received_at timestamptz NOT NULL DEFAULT now(),
    event_key text UNIQUE,  -- the provider's event id (hashed), when it gives one
    body_key text NOT NULL UNIQUE  -- the sha256 of the raw body
);

-- Which device's sale holds a request (an unsigned provider's notice is believed only for one held here).
CREATE INDEX sales_request ON sales ((payload ->> 'request_id')) WHERE payload ->> 'request_id' IS NOT NULL;
