-- Threads (issue 20): a reply names its root (messages.thread_id, threads are one level deep)
-- and may also be shown in the conversation (also_in_conversation). Each root with replies has a
-- summary row (threads) kept by the send under the conversation's lock, and each person who
-- follows a thread (or chose not to) a row with their read pointer (thread_followers). Mentions
-- in replies shown only in the thread count there, not in the conversation (thread_only).
-- Additive: a node of the previous release keeps calling parley_store_message with 9 arguments
-- and parley_store_messages with items without 'th', and stores top-level messages as before.
-- Building messages_thread_idx reads the messages table once (every existing row has no thread).
CREATE TABLE "thread_followers" (
	"root_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"following" boolean,
	"last_read_seq" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "thread_followers_pkey" PRIMARY KEY("root_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "threads" (
	"root_id" uuid PRIMARY KEY NOT NULL,
	"conversation_id" uuid NOT NULL,
	"reply_count" integer DEFAULT 0 NOT NULL,
	"last_reply_at" timestamp with time zone,
	"last_reply_seq" bigint DEFAULT 0 NOT NULL,
	"participant_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "message_mentions" ADD COLUMN "thread_id" uuid;--> statement-breakpoint
ALTER TABLE "message_mentions" ADD COLUMN "thread_only" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "thread_id" uuid;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "also_in_conversation" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "thread_followers" ADD CONSTRAINT "thread_followers_root_id_messages_id_fk" FOREIGN KEY ("root_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "thread_followers" ADD CONSTRAINT "thread_followers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "thread_followers" ADD CONSTRAINT "thread_followers_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "threads" ADD CONSTRAINT "threads_root_id_messages_id_fk" FOREIGN KEY ("root_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "threads" ADD CONSTRAINT "threads_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "thread_followers_user_idx" ON "thread_followers" USING btree ("user_id","conversation_id") WHERE "thread_followers"."following";--> statement-breakpoint
CREATE INDEX "message_mentions_thread_idx" ON "message_mentions" USING btree ("user_id","thread_id","seq") WHERE "message_mentions"."thread_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "messages_thread_idx" ON "messages" USING btree ("thread_id","seq") WHERE "messages"."thread_id" IS NOT NULL;
--> statement-breakpoint
-- A reply's upkeep, under the conversation row's lock the send holds: the root's summary, and
-- who follows. The sender follows and has read up to their reply; those the reply mentions
-- follow (again, if they had unfollowed); on the thread's first reply the root's sender and
-- those the root mentions follow, unless they chose otherwise before.
CREATE FUNCTION parley_thread_replied(
  p_root_id uuid,
  p_conversation_id uuid,
  p_seq bigint,
  p_sender_id uuid,
  p_mentions uuid[],
  p_created_at timestamptz
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_count integer;
BEGIN
  INSERT INTO threads AS t (root_id, conversation_id, reply_count, last_reply_at, last_reply_seq, participant_ids)
    VALUES (p_root_id, p_conversation_id, 1, p_created_at, p_seq, ARRAY[p_sender_id])
    ON CONFLICT (root_id) DO UPDATE SET
      reply_count = t.reply_count + 1,
      last_reply_at = EXCLUDED.last_reply_at,
      last_reply_seq = EXCLUDED.last_reply_seq,
      participant_ids = (ARRAY[p_sender_id] || array_remove(t.participant_ids, p_sender_id))[1:10]
    RETURNING reply_count INTO v_count;
  INSERT INTO thread_followers AS f (root_id, user_id, conversation_id, following, last_read_seq)
    VALUES (p_root_id, p_sender_id, p_conversation_id, true, p_seq)
    ON CONFLICT (root_id, user_id) DO UPDATE SET
      following = true, last_read_seq = GREATEST(f.last_read_seq, EXCLUDED.last_read_seq), updated_at = now();
  IF cardinality(p_mentions) > 0 THEN
    INSERT INTO thread_followers AS f (root_id, user_id, conversation_id, following)
      SELECT DISTINCT p_root_id, m, p_conversation_id, true FROM unnest(p_mentions) AS m WHERE m <> p_sender_id
      ON CONFLICT (root_id, user_id) DO UPDATE SET following = true, updated_at = now() WHERE f.following IS NOT TRUE;
  END IF;
  IF v_count = 1 THEN
    INSERT INTO thread_followers AS f (root_id, user_id, conversation_id, following)
      SELECT DISTINCT p_root_id, u, p_conversation_id, true
        FROM messages r, unnest(ARRAY[r.sender_id] || r.mentions) AS u
       WHERE r.id = p_root_id AND u <> p_sender_id
      ON CONFLICT (root_id, user_id) DO UPDATE SET following = true, updated_at = now() WHERE f.following IS NULL;
  END IF;
END
$$;
--> statement-breakpoint
-- parley_store_message (migration 0010) with a thread: p_thread_id names the root (checked by the
-- caller to be a top-level message of the conversation), p_also shows the reply in the
-- conversation too. The same rules, in one place: the 9-argument form now calls this one.
CREATE FUNCTION parley_store_message(
  p_id uuid,
  p_conversation_id uuid,
  p_sender_id uuid,
  p_client_msg_id text,
  p_body text,
  p_reply_to_id uuid,
  p_mentions uuid[],
  p_search_terms text[],
  p_created_at timestamptz,
  p_thread_id uuid,
  p_also boolean
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
  v_seq bigint;
  v_policy text;
  v_muted_until timestamptz;
  v_role text;
  v_also boolean := p_thread_id IS NOT NULL AND COALESCE(p_also, false);
BEGIN
  UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = p_created_at
    WHERE id = p_conversation_id AND deleted_at IS NULL
    RETURNING last_seq, posting_policy INTO v_seq, v_policy;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'PR404';
  END IF;
  UPDATE members SET last_read_seq = GREATEST(last_read_seq, v_seq)
    WHERE conversation_id = p_conversation_id AND user_id = p_sender_id
    RETURNING muted_until, role INTO v_muted_until, v_role;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'not a member' USING ERRCODE = 'PR403';
  END IF;
  IF v_policy = 'admins' AND v_role = 'member' THEN
    RAISE EXCEPTION 'only admins may post' USING ERRCODE = 'PR403', DETAIL = 'posting_restricted';
  END IF;
  IF v_muted_until IS NOT NULL AND v_muted_until > now() THEN
    RAISE EXCEPTION 'muted' USING ERRCODE = 'PR423', DETAIL = to_char(v_muted_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  END IF;
  INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, body, reply_to_id, mentions, search_terms, created_at, thread_id, also_in_conversation)
    VALUES (p_id, p_conversation_id, v_seq, p_sender_id, p_client_msg_id, p_body, p_reply_to_id, p_mentions, p_search_terms, p_created_at, p_thread_id, v_also);
  IF cardinality(p_mentions) > 0 THEN
    INSERT INTO message_mentions (user_id, conversation_id, seq, message_id, thread_id, thread_only)
      SELECT m, p_conversation_id, v_seq, p_id, p_thread_id, p_thread_id IS NOT NULL AND NOT v_also FROM unnest(p_mentions) AS m;
  END IF;
  INSERT INTO conversation_events (conversation_id, seq, type, message_id, payload, created_at)
    VALUES (p_conversation_id, v_seq, 'message.created', p_id, '{}'::jsonb, p_created_at);
  IF p_thread_id IS NOT NULL THEN
    PERFORM parley_thread_replied(p_thread_id, p_conversation_id, v_seq, p_sender_id, p_mentions, p_created_at);
  END IF;
  RETURN v_seq;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION parley_store_message(
  p_id uuid,
  p_conversation_id uuid,
  p_sender_id uuid,
  p_client_msg_id text,
  p_body text,
  p_reply_to_id uuid,
  p_mentions uuid[],
  p_search_terms text[],
  p_created_at timestamptz
) RETURNS bigint
LANGUAGE sql
AS $$
  SELECT parley_store_message(p_id, p_conversation_id, p_sender_id, p_client_msg_id, p_body, p_reply_to_id, p_mentions, p_search_terms, p_created_at, NULL::uuid, false)
$$;
--> statement-breakpoint
-- parley_store_messages (migration 0008) passes each item's thread ('th') and 'bc' (also in the
-- conversation); items without them (a node of the previous release) are top-level messages.
CREATE OR REPLACE FUNCTION parley_store_messages(p_items jsonb)
RETURNS TABLE (o_seq bigint, o_code text, o_detail text, o_kind text, o_members uuid[])
LANGUAGE plpgsql
AS $$
DECLARE
  v_item jsonb;
  v_conv uuid;
  v_listed uuid;
BEGIN
  FOR v_item IN SELECT e FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n LOOP
    v_conv := (v_item->>'c')::uuid;
    o_code := NULL;
    o_detail := NULL;
    o_kind := NULL;
    o_members := NULL;
    BEGIN
      o_seq := parley_store_message(
        (v_item->>'id')::uuid, v_conv, (v_item->>'s')::uuid, v_item->>'k', v_item->>'b', (v_item->>'r')::uuid,
        ARRAY(SELECT jsonb_array_elements_text(v_item->'m'))::uuid[],
        ARRAY(SELECT jsonb_array_elements_text(v_item->'t')),
        (v_item->>'at')::timestamptz,
        (v_item->>'th')::uuid,
        COALESCE((v_item->>'bc')::boolean, false));
    EXCEPTION WHEN SQLSTATE 'PR404' OR SQLSTATE 'PR403' OR SQLSTATE 'PR423' OR unique_violation THEN
      GET STACKED DIAGNOSTICS o_code = RETURNED_SQLSTATE, o_detail = PG_EXCEPTION_DETAIL;
      o_seq := NULL;
    END;
    IF o_seq IS NOT NULL AND v_listed IS DISTINCT FROM v_conv THEN
      SELECT c.kind::text, ARRAY(SELECT m.user_id FROM members m WHERE m.conversation_id = c.id)
        INTO o_kind, o_members
        FROM conversations c WHERE c.id = v_conv;
      v_listed := v_conv;
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;
