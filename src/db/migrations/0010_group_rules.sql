-- Announcement groups (issue 10): parley_store_message (migration 0006) also refuses a plain
-- member's send when the group's posting_policy is 'admins'. Same signature, so a node of the
-- previous version keeps calling it during a rolling upgrade. The policy and the sender's role
-- are read by the two UPDATEs it already makes, under the conversation row's lock: a demotion or
-- a policy change that committed before the lock is seen, one after it waits for this send.
-- The refusal is PR403 (which parley_store_messages, migration 0008, already reports per item)
-- with DETAIL 'posting_restricted': a node of the previous version reads it as "not a member"
-- (a 404) instead of failing, a current node as 403 `posting_restricted`.
-- Refusals: PR404 conversation gone, PR403 not a member (DETAIL empty) or posting restricted
-- (DETAIL 'posting_restricted'), PR423 muted (DETAIL: muted_until).
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
LANGUAGE plpgsql
AS $$
DECLARE
  v_seq bigint;
  v_policy text;
  v_muted_until timestamptz;
  v_role text;
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
  INSERT INTO messages (id, conversation_id, seq, sender_id, client_msg_id, body, reply_to_id, mentions, search_terms, created_at)
    VALUES (p_id, p_conversation_id, v_seq, p_sender_id, p_client_msg_id, p_body, p_reply_to_id, p_mentions, p_search_terms, p_created_at);
  IF cardinality(p_mentions) > 0 THEN
    INSERT INTO message_mentions (user_id, conversation_id, seq, message_id)
      SELECT m, p_conversation_id, v_seq, p_id FROM unnest(p_mentions) AS m;
  END IF;
  INSERT INTO conversation_events (conversation_id, seq, type, message_id, payload, created_at)
    VALUES (p_conversation_id, v_seq, 'message.created', p_id, '{}'::jsonb, p_created_at);
  RETURN v_seq;
END
$$;
