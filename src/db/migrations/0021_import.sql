-- Imports from Slack and Mattermost (issue 22, `npm run admin -- import`): one row per user or
-- conversation an import brought in, so a second run adds nothing and only conversations an
-- import created receive imported messages; `claimable` marks the accounts an import made that
-- their owners have not claimed yet (by a password reset or OpenID Connect). Additive: the
-- previous release ignores it.
CREATE TABLE "import_keys" (
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"parley_id" uuid NOT NULL,
	"claimable" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_keys_pkey" PRIMARY KEY("source","kind","external_id")
);
--> statement-breakpoint
CREATE INDEX "import_keys_parley_idx" ON "import_keys" USING btree ("parley_id");