-- Link previews (issue 20): the per-URL cache shared by every node, the durable queue of
-- messages waiting for previews, and the previews each message stores. Additive only.
CREATE TABLE "link_preview_jobs" (
	"message_id" uuid PRIMARY KEY NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_previews" (
	"url" text PRIMARY KEY NOT NULL,
	"ok" boolean DEFAULT false NOT NULL,
	"title" text,
	"description" text,
	"site_name" text,
	"image_key" text,
	"image_width" integer,
	"image_height" integer,
	"error" text,
	"fetched_at" timestamp with time zone,
	"expires_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "previews" jsonb;--> statement-breakpoint
ALTER TABLE "link_preview_jobs" ADD CONSTRAINT "link_preview_jobs_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_preview_jobs_due_idx" ON "link_preview_jobs" USING btree ("next_attempt_at");--> statement-breakpoint
CREATE INDEX "link_previews_expires_idx" ON "link_previews" USING btree ("expires_at");