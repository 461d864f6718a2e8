-- Group commit for sends: MessageStoreQueue passes every send that arrived while the previous
-- batch was being stored as one statement, and so one commit, instead of one each. p_items is a
-- JSON array of {id, c: conversation, s: sender, k: clientMsgId, b: body, r: replyTo,
-- m: mentioned user ids, t: search terms, at: created at}, sorted by conversation so that
-- concurrent batches lock conversations in the same order. Each item is stored by
-- parley_store_message (migration 0006) in its own subtransaction: a refused item (PR404, PR403,
-- PR423, or unique_violation for a repeated clientMsgId) is undone alone, seq included, and
-- reported in o_code/o_detail; the others are kept. One row per item, in order. For the first
-- stored item of each conversation, o_kind and o_members give its kind and its members as they
-- are under the lock held since (members cannot change until the commit): who gets it live.
CREATE FUNCTION parley_store_messages(p_items jsonb)
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
        (v_item->>'at')::timestamptz);
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
