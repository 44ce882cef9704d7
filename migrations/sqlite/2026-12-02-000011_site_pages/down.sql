ALTER TABLE sites DROP COLUMN page_urls;
ALTER TABLE sites DROP COLUMN public_url;
