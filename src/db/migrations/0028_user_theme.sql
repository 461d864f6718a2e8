-- Dark mode (issue 21): the web client's colour theme a person chose ('system', the default, follows
-- the device; 'light' or 'dark' override it). Additive: the previous release ignores it.
ALTER TABLE "users" ADD COLUMN "theme" text DEFAULT 'system' NOT NULL;
