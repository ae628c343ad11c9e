-- The management API pages through an app's licenses in id order (keyset
-- pagination); without this the primary key is scanned and filtered by app.
CREATE INDEX licenses_app_id_idx ON licenses (app_id, id);
