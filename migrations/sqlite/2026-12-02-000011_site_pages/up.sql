-- Where a site's pages live on its portal (the frontend, not muni): its public address and a URL
-- template per kind of page, for the links in feeds, sitemaps and webhooks.
ALTER TABLE sites ADD COLUMN public_url TEXT;
-- JSON: {"article": "/tin-tuc/{slug}", ...}; absent kinds take the defaults (src/sites/model.rs).
ALTER TABLE sites ADD COLUMN page_urls TEXT;
