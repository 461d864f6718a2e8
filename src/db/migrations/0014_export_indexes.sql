-- Issue 26: a person's data export (and erasure) read their messages by (conversation, seq), their
-- reactions by (message, emoji) and their uploads by id, a page at a time from a position: each
-- page is an index range instead of a sort of everything they ever wrote.
DROP INDEX "messages_sender_idx";--> statement-breakpoint
DROP INDEX "uploads_owner_idx";--> statement-breakpoint
CREATE INDEX "reactions_user_idx" ON "reactions" USING btree ("user_id","message_id","emoji");--> statement-breakpoint
CREATE INDEX "messages_sender_idx" ON "messages" USING btree ("sender_id","conversation_id","seq");--> statement-breakpoint
CREATE INDEX "uploads_owner_idx" ON "uploads" USING btree ("owner_id","id");