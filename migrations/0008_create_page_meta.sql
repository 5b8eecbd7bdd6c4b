-- Page meta: per-page SEO records of a site (title, description, image, Open Graph, JSON-LD,
-- robots, canonical, extra tags), injected into the site's HTML as it is served. A record is
-- keyed by an exact path (`/about`) or a pattern (`/products/:id`, `/docs/*`); it cascades from
-- its site (and so from its project).
--
-- `route_key` identifies the record: the path with parameter names dropped (`/products/:`), so
-- two patterns that match the same pages are one record. `segment_count` and `has_wildcard` let
-- the lookup of a request fetch only the patterns that could match it (core/sites/page-path.ts
-- picks the most specific of those). `fields` is the record's JSON object: title, description,
-- image, og_type, json_ld, robots_noindex, canonical, meta, document.
CREATE TABLE page_meta (
  project_id TEXT NOT NULL,
  site TEXT NOT NULL,
  route_key TEXT NOT NULL,
  path TEXT NOT NULL,
  is_pattern INTEGER NOT NULL CHECK (is_pattern IN (0, 1)),
  segment_count INTEGER NOT NULL,
  has_wildcard INTEGER NOT NULL CHECK (has_wildcard IN (0, 1)),
  fields TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (project_id, site, route_key),
  FOREIGN KEY (project_id, site) REFERENCES sites (project_id, name) ON DELETE CASCADE
);

-- The patterns of a site: what every HTML request of the site reads besides its exact path.
CREATE INDEX page_meta_patterns ON page_meta (project_id, site, segment_count) WHERE is_pattern = 1;

-- A site has at most 100 patterns (PAGE_META_LIMITS.patterns_per_site), checked inside the write
-- itself so concurrent writes cannot overshoot. Replacing a pattern (same route_key) is no new one.
CREATE TRIGGER page_meta_pattern_limit BEFORE INSERT ON page_meta
WHEN NEW.is_pattern = 1 AND (
  SELECT count(*) FROM page_meta
  WHERE project_id = NEW.project_id AND site = NEW.site AND is_pattern = 1 AND route_key != NEW.route_key
) >= 100
BEGIN
  SELECT RAISE(ABORT, 'page_meta_pattern_limit');
END;
