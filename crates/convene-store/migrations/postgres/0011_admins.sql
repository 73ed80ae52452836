-- Enterprise administrators (`convene account add --admin`): they manage
-- their enterprise's accounts over the product's REST API.
ALTER TABLE users ADD COLUMN admin BIGINT NOT NULL DEFAULT 0;
