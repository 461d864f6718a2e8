-- Custom emoji (issue 22): a site admin's image, used as :name: in messages and reactions. The
-- image itself is in the upload store (<sha256>.emoji.webp). Additive: the previous release ignores it.
CREATE TABLE "custom_emoji" (
	"name" text PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"creator_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "custom_emoji" ADD CONSTRAINT "custom_emoji_creator_id_users_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "custom_emoji_sha256_idx" ON "custom_emoji" USING btree ("sha256");