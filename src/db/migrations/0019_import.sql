-- Imports from Slack and Mattermost (issue 22, `npm run admin -- import`): one row per user or
-- conversation an import brought in, so a second run adds nothing and only conversations an
-- import created receive imported messages. Additive: a node of the previous release ignores it.
CREATE TABLE "import_keys" (
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"parley_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_keys_pkey" PRIMARY KEY("source","kind","external_id")
);
