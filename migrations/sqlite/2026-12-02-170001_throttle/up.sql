-- Where each account has signed in from lately (an IPv4 address or an IPv6 /64), so that a
-- stranger's wrong guesses lock out the stranger and not the owner at their usual place
-- (domain::accounts). Kept for 90 days after the last sign-in there.
CREATE TABLE sign_in_places (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    place TEXT NOT NULL,
    last_signed_in_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, place)
);
CREATE INDEX sign_in_places_last ON sign_in_places (last_signed_in_at);
