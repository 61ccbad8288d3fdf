-- Demo catalog for configs/demo.yaml: a small shop, generated in place (no data file committed).
-- Build it with:  sqlite3 catalog.db < configs/demo/seed.sql   (scripts/demo.sh does this)
-- Deterministic: the same rows on every run, so the demo's numbers are reproducible.

DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS categories;
DROP TABLE IF EXISTS blobs;

CREATE TABLE categories (
  id   INTEGER PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL
);

INSERT INTO categories (id, slug, name) VALUES
  (1, 'coffee', 'Coffee'),
  (2, 'tea', 'Tea'),
  (3, 'brewing', 'Brewing gear'),
  (4, 'mugs', 'Mugs & cups'),
  (5, 'grinders', 'Grinders'),
  (6, 'gifts', 'Gift sets'),
  (7, 'snacks', 'Snacks'),
  (8, 'accessories', 'Accessories');

CREATE TABLE products (
  id          INTEGER PRIMARY KEY,
  sku         TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  category_id INTEGER NOT NULL REFERENCES categories (id),
  price       REAL NOT NULL,
  stock       INTEGER NOT NULL,
  views       INTEGER NOT NULL,
  payload     TEXT NOT NULL  -- the JSON the product page API would serve (~150 bytes)
);

-- 2000 products. Names and numbers come from the id through small multiplicative hashes.
WITH RECURSIVE seq(n) AS (
  SELECT 1
  UNION ALL
  SELECT n + 1 FROM seq WHERE n < 2000
),
rows AS (
  SELECT
    n AS id,
    printf('SKU-%05d', n) AS sku,
    (CASE n % 10
       WHEN 0 THEN 'Classic' WHEN 1 THEN 'Organic' WHEN 2 THEN 'Single-origin'
       WHEN 3 THEN 'Smoky' WHEN 4 THEN 'Bright' WHEN 5 THEN 'Decaf'
       WHEN 6 THEN 'Nordic' WHEN 7 THEN 'Espresso' WHEN 8 THEN 'Vintage' ELSE 'Barista' END)
      || ' ' ||
    (CASE (n / 10) % 8
       WHEN 0 THEN 'Blend' WHEN 1 THEN 'Green Tea' WHEN 2 THEN 'Pour-over Kit'
       WHEN 3 THEN 'Stoneware Mug' WHEN 4 THEN 'Burr Grinder' WHEN 5 THEN 'Gift Box'
       WHEN 6 THEN 'Biscotti' ELSE 'Scale' END)
      || ' #' || n AS name,
    ((n / 10) % 8) + 1 AS category_id,
    round(2.49 + ((n * 7919) % 9000) / 100.0, 2) AS price,
    (n * 31) % 250 AS stock,
    (n * 104729) % 100003 AS views
  FROM seq
)
INSERT INTO products (id, sku, name, category_id, price, stock, views, payload)
SELECT
  id, sku, name, category_id, price, stock, views,
  json_object(
    'id', id,
    'sku', sku,
    'name', name,
    'category', (SELECT slug FROM categories c WHERE c.id = rows.category_id),
    'price', price,
    'currency', 'EUR',
    'in_stock', json(CASE WHEN stock > 0 THEN 'true' ELSE 'false' END),
    'rating', round(3.0 + (id % 21) / 10.0, 1)
  )
FROM rows;

CREATE INDEX products_views ON products (views DESC);

-- Small documents looked up one key at a time (the after-deploy group).
CREATE TABLE blobs (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL
);

INSERT INTO blobs (name, body) VALUES
  ('config:features', '{"new_checkout":true,"wishlist":true,"recommendations":"v2"}'),
  ('config:banners', '[{"id":"spring-sale","text":"20% off all tea","until":"2026-04-30"}]'),
  ('config:shipping', '{"free_over_eur":49,"carriers":["dhl","ups"]}');
