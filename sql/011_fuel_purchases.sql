-- Fuel cards: what the card provider says was bought (fuel_purchases, written by operators or
-- `fleetd import-purchases`), and what fleetd decides of each against the refuels it measured
-- (fuel_purchase_checks, one row per purchase).

CREATE TABLE fuel_purchases (
    id           bigserial PRIMARY KEY,
    vehicle_id   text NOT NULL CHECK (vehicle_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    purchased_at timestamptz NOT NULL CHECK (purchased_at >= '1970-01-01' AND purchased_at < '2200-01-01'),
    -- NaN fails the upper bound (PostgreSQL orders NaN above every number).
    volume_l     float8 NOT NULL CHECK (volume_l > 0 AND volume_l <= 100000),
    amount       numeric CHECK (amount >= 0 AND amount < 1e12),
    currency     text CHECK (currency ~ '^[A-Z]{3}$'),
    station      text CHECK (length(station) <= 200),
    lat          float8 CHECK (lat >= -90 AND lat <= 90),
    lon          float8 CHECK (lon >= -180 AND lon <= 180),
    card_id      text CHECK (length(card_id) <= 64),
    external_ref text UNIQUE CHECK (length(external_ref) <= 200),
    imported_at  timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((lat IS NULL) = (lon IS NULL))
);
-- A purchase without the provider's reference is known by vehicle, time and volume, so that
-- importing the same export twice stores it once.
CREATE UNIQUE INDEX fuel_purchases_without_ref ON fuel_purchases (vehicle_id, purchased_at, volume_l) WHERE external_ref IS NULL;
CREATE INDEX fuel_purchases_vehicle_time ON fuel_purchases (vehicle_id, purchased_at);

-- An edit is a reason to decide the purchase again.
CREATE FUNCTION fleetd_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER fuel_purchases_touch BEFORE UPDATE ON fuel_purchases
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION fleetd_touch_updated_at();

COMMENT ON TABLE fuel_purchases IS 'Fuel card purchases as the provider reports them (fleetd import-purchases FILE.csv, or INSERT naming vehicle_id, purchased_at, volume_l and any of the rest).';
COMMENT ON COLUMN fuel_purchases.id IS 'The purchase''s id in fleetd (fuel_purchase_checks.purchase_id).';
COMMENT ON COLUMN fuel_purchases.vehicle_id IS 'The vehicle the card was used for: the id its unit publishes under.';
COMMENT ON COLUMN fuel_purchases.purchased_at IS 'When the pump terminal stamped the sale (its clock may be off by minutes).';
COMMENT ON COLUMN fuel_purchases.volume_l IS 'Litres paid for, as the pump measured them.';
COMMENT ON COLUMN fuel_purchases.amount IS 'What was paid, in currency.';
COMMENT ON COLUMN fuel_purchases.currency IS 'ISO 4217 code, e.g. EUR.';
COMMENT ON COLUMN fuel_purchases.station IS 'The station''s name as the provider gives it.';
COMMENT ON COLUMN fuel_purchases.lat IS 'The station''s latitude, degrees WGS 84, when known.';
COMMENT ON COLUMN fuel_purchases.lon IS 'The station''s longitude, degrees WGS 84, when known.';
COMMENT ON COLUMN fuel_purchases.card_id IS 'The card used.';
COMMENT ON COLUMN fuel_purchases.external_ref IS 'The provider''s id of the sale: importing it again updates the row only if a value changed.';
COMMENT ON COLUMN fuel_purchases.imported_at IS 'When the row was stored.';
COMMENT ON COLUMN fuel_purchases.updated_at IS 'When the row last changed.';

CREATE TABLE fuel_purchase_checks (
    purchase_id bigint NOT NULL UNIQUE REFERENCES fuel_purchases (id) ON DELETE CASCADE,
    status      text NOT NULL CHECK (status IN ('matched', 'short', 'no_refuel', 'unverifiable')),
    refuel_id   bigint,
    dispensed_l float8,
    missing_l   float8,
    details     jsonb,
    decided_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE fuel_purchase_checks IS 'fleetd''s decision on each fuel purchase against the refuels it measured.';
COMMENT ON COLUMN fuel_purchase_checks.purchase_id IS 'The fuel_purchases row decided.';
COMMENT ON COLUMN fuel_purchase_checks.status IS 'matched; short (paid clearly more than reached the tank); no_refuel (no fill near that time); unverifiable (no fuel data around it).';
COMMENT ON COLUMN fuel_purchase_checks.refuel_id IS 'The fuel_transactions row of the refuel it was matched to.';
COMMENT ON COLUMN fuel_purchase_checks.dispensed_l IS 'Litres that reached the tank, as fleetd measured them.';
COMMENT ON COLUMN fuel_purchase_checks.missing_l IS 'Litres paid for that did not reach the tank.';
COMMENT ON COLUMN fuel_purchase_checks.details IS 'The evidence: tolerance, confidence, the vehicle''s position at the time.';
COMMENT ON COLUMN fuel_purchase_checks.decided_at IS 'When fleetd decided.';
