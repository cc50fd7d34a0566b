-- Each person's time zone (an IANA name such as Europe/Paris), chosen on /account: the pages show
-- times in it. NULL: the browser's own zone (UTC without the page's script). Expand only.
ALTER TABLE users ADD COLUMN time_zone TEXT;
