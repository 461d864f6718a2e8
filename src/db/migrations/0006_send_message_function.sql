-- The locked part of a send in one statement (one round trip, plans cached by PL/pgSQL), called
-- by MessagesRepository.store. Takes the conversation's next seq (locking its row: the hot spot,
-- first), then, each statement seeing what committed while it waited for that lock: the sender
-- must still be a member and not muted (their read pointer moves to the new seq), the message,
-- its mentions and its event are written. Any refusal raises, so the statement (and the seq it
-- took) is undone: seqs stay gap-free. A repeated (conversation, sender, client_msg_id) raises
-- unique_violation (23505) on messages_client_msg_id_key; the caller returns the stored message.
-- Refusals: PR404 conversation gone, PR403 not a member, PR423 muted (DETAIL: muted_until).
CREATE FUNCTION parley_store_message(
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
  v_muted_until timestamptz;
BEGIN
  UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = p_created_at
    WHERE id = p_conversation_id AND deleted_at IS NULL
    RETURNING last_seq INTO v_seq;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'conversation not found' USING ERRCODE = 'PR404';
  END IF;
  UPDATE members SET last_read_seq = GREATEST(last_read_seq, v_seq)
    WHERE conversation_id = p_conversation_id AND user_id = p_sender_id
    RETURNING muted_until INTO v_muted_until;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'not a member' USING ERRCODE = 'PR403';
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
