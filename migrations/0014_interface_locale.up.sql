-- 0014 the interface language a volunteer chose with the switcher (issue #19), so that it
-- follows their session to a page whose cookie is gone. NULL: not chosen (the browser's
-- Accept-Language decides). The list of locales lives in app/i18n/locales.py; the database
-- checks only the shape of a language tag.
ALTER TABLE contributors
    ADD COLUMN interface_locale text CHECK (interface_locale ~ '^[a-z]{2,3}$');
