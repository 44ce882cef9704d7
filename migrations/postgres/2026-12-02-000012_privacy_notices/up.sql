-- The privacy notice (thông báo xử lý dữ liệu cá nhân) each site publishes, in versions: a citizen
-- consents to one version, and a submission must name the current one. A site without any has
-- the built-in notice (version 2026-01, src/privacy/model.rs).
CREATE TABLE privacy_notices (
    id           BIGSERIAL PRIMARY KEY,
    site_id      BIGINT NOT NULL REFERENCES sites (id),
    version      TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    created_by   BIGINT REFERENCES users (id),
    UNIQUE (site_id, version)
);
CREATE INDEX privacy_notices_current ON privacy_notices (site_id, published_at DESC, id DESC);
CREATE TRIGGER privacy_notices_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON privacy_notices FOR EACH STATEMENT EXECUTE FUNCTION muni_touch_content();
