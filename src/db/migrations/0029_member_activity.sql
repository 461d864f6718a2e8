CREATE TABLE "member_activity" (
	"conversation_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"activity_at" timestamp with time zone,
	CONSTRAINT "member_activity_pkey" PRIMARY KEY("conversation_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "member_activity" ADD CONSTRAINT "member_activity_member_fk" FOREIGN KEY ("conversation_id","user_id") REFERENCES "public"."members"("conversation_id","user_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "member_activity_recent_idx" ON "member_activity" USING btree ("user_id","activity_at" DESC NULLS LAST,"conversation_id" DESC NULLS LAST) WHERE activity_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "member_activity_large_idx" ON "member_activity" USING btree ("user_id") WHERE activity_at IS NULL;--> statement-breakpoint
-- The inbox by activity (issue 18): member_activity holds a row per membership, with the
-- conversation's last_activity_at while it has at most 64 members, so a user's conversations are
-- read newest first from member_activity_recent_idx, not sorted from every membership (10,000 of
-- them: 11-13 ms, most of an inbox page). A larger group's rows hold NULL (member_activity_large_idx
-- lists those apart): a message to it would otherwise rewrite a row per member. The database keeps
-- the table, so every path that moves a conversation's activity or member count keeps it: sends,
-- imports, membership changes, and the previous release's writes during a rolling upgrade (the
-- previous release neither reads nor writes the table itself).
CREATE FUNCTION parley_member_activity() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF NEW.member_count <= 64 THEN
    -- On a membership change too: whatever a row missed (or a group coming back under 65) is set.
    IF NEW.last_activity_at IS DISTINCT FROM OLD.last_activity_at OR NEW.member_count IS DISTINCT FROM OLD.member_count THEN
      UPDATE member_activity SET activity_at = NEW.last_activity_at
        WHERE conversation_id = NEW.id AND activity_at IS DISTINCT FROM NEW.last_activity_at;
    END IF;
  ELSIF OLD.member_count <= 64 THEN
    UPDATE member_activity SET activity_at = NULL WHERE conversation_id = NEW.id AND activity_at IS NOT NULL;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER conversations_member_activity
  AFTER UPDATE OF last_activity_at, member_count ON conversations
  FOR EACH ROW EXECUTE FUNCTION parley_member_activity();
--> statement-breakpoint
-- A new membership gets its row, with the conversation's activity when it is small. (Leaving
-- removes it: the foreign key cascades.)
CREATE FUNCTION parley_member_joined_activity() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO member_activity (conversation_id, user_id, activity_at)
    VALUES (NEW.conversation_id, NEW.user_id,
      (SELECT c.last_activity_at FROM conversations c WHERE c.id = NEW.conversation_id AND c.member_count <= 64))
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER members_joined_activity
  AFTER INSERT ON members
  FOR EACH ROW EXECUTE FUNCTION parley_member_joined_activity();
--> statement-breakpoint
INSERT INTO member_activity (conversation_id, user_id, activity_at)
  SELECT m.conversation_id, m.user_id, CASE WHEN c.member_count <= 64 THEN c.last_activity_at END
  FROM members m JOIN conversations c ON c.id = m.conversation_id
  ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Plans read the new table from its first use, not after the next periodic ANALYZE.
ANALYZE member_activity;
