ALTER TABLE "sessions" ADD COLUMN "scopes" text[];--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "created_by" uuid;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_created_by_sessions_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_created_by_idx" ON "sessions" USING btree ("created_by") WHERE "sessions"."created_by" IS NOT NULL;--> statement-breakpoint
-- API tokens made before scopes keep what they could do, except what now needs its own scope:
-- minting tokens and bots, the account's sessions, its password, e-mail address and data.
UPDATE "sessions" SET "scopes" = ARRAY['read', 'write', 'admin'] WHERE "kind" = 'api';
