-- fleetd schema, version 1: every table of README's Reference plus the ingest
-- checkpoint. Runs inside one transaction under fleetd's migration lock.

CREATE TABLE readings (
    vehicle_id   text        NOT NULL,
    channel      text        NOT NULL,
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    seq          bigint,
    fuel_l       float8,
    fuel_pct     float4,
    odometer_km  float8,
    lat          float8,
    lon          float8,
    speed_kmh    float4,
    heading_deg  float4,
    ignition     boolean,
    engine_hours float8,
    PRIMARY KEY (vehicle_id, channel, ts)
);

CREATE TABLE vehicles (
    vehicle_id      text PRIMARY KEY,
    tank_capacity_l float8,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE fuel_transactions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id     text        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('refuel', 'drain')),
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz NOT NULL,
    volume_l       float8      NOT NULL CHECK (volume_l > 0),
    level_before_l float8,
    level_after_l  float8,
    odometer_km    float8,
    lat            float8,
    lon            float8,
    distance_km    float8,
    fuel_used_l    float8,
    km_per_l       float8,
    UNIQUE (vehicle_id, kind, started_at)
);

CREATE TABLE anomalies (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id text        NOT NULL,
    kind       text        NOT NULL,
    ts         timestamptz NOT NULL,
    severity   text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    value      float8,
    expected   float8,
    details    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    UNIQUE (vehicle_id, kind, ts)
);

CREATE TABLE maintenance_plans (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id            text,
    service               text NOT NULL,
    interval_km           float8,
    interval_days         int,
    interval_engine_hours float8,
    notice_km             float8 DEFAULT 0,
    notice_days           int DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_records (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id   text        NOT NULL,
    service      text        NOT NULL,
    performed_at timestamptz NOT NULL DEFAULT now(),
    odometer_km  float8,
    engine_hours float8
);

CREATE TABLE maintenance_alerts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id       text        NOT NULL,
    service          text        NOT NULL,
    trigger          text        NOT NULL CHECK (trigger IN ('distance', 'time', 'engine_hours')),
    level            text        NOT NULL CHECK (level IN ('due_soon', 'overdue')),
    ts               timestamptz NOT NULL,
    odometer_km      float8,
    due_odometer_km  float8,
    due_at           timestamptz,
    due_engine_hours float8
);

CREATE TABLE rejected_messages (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL,
    topic       text        NOT NULL,
    reason      text        NOT NULL,
    detail      text,
    payload     bytea
);
CREATE INDEX rejected_messages_received_at ON rejected_messages (received_at);

-- The spool position each spool file's committed batches cover: replay starts here.
CREATE TABLE ingest_checkpoint (
    spool_id   text PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
