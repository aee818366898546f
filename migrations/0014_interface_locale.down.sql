-- Undo 0014: the chosen interface language is forgotten (the cookie still holds it).
ALTER TABLE contributors DROP COLUMN interface_locale;
