/**
 * Group settings for admins: name, description, who can find it, who may post (announcement
 * groups), who may use @all / @here, how long messages are kept, its incoming webhooks and its own slash commands. Opened from the
 * conversation header and from the details panel.
 */
import { useState, type FormEvent } from 'react';
import type { Conversation, MentionAllPolicy, PostingPolicy } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { GroupFields, useGroupBasics } from './group-fields.js';
import { GroupRetentionSection } from './group-retention-section.js';
import { IncomingWebhooksSection } from './incoming-webhooks-section.js';
import { SlashCommandsSection } from './slash-commands-section.js';
import { Modal } from './modal.js';
import { CancelSubmit, FormError } from './form-parts.js';

export function GroupSettingsDialog({ conversation, onClose }: { conversation: Conversation; onClose: () => void }) {
  const store = useStore();
  const group = useGroupBasics(conversation);
  const [postingPolicy, setPostingPolicy] = useState<PostingPolicy>(conversation.postingPolicy ?? 'everyone');
  const [mentionAllPolicy, setMentionAllPolicy] = useState<MentionAllPolicy>(conversation.mentionAllPolicy ?? 'admins');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (group.problem) return setError(group.problem);
    setBusy(true);
    try {
      await store.updateGroup(conversation.id, { ...group.body, postingPolicy, mentionAllPolicy });
      onClose();
    } catch (err) {
      setBusy(false);
      setError(errorText(err, 'save the settings'));
    }
  };

  return (
    <Modal title="Group settings" onClose={onClose} testId="group-settings-dialog">
      <form className="form" onSubmit={(e) => void save(e)}>
        <GroupFields basics={group.basics} change={group.change} descriptionHint="shown in the conversation header" />
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="group-settings-admins-only"
            checked={postingPolicy === 'admins'}
            onChange={(e) => setPostingPolicy(e.target.checked ? 'admins' : 'everyone')}
          />{' '}
          Only admins can post <span className="muted">(an announcement group: members read and react)</span>
        </label>
        <label>
          Who can notify everyone with @all and @here
          <select data-testid="group-settings-mention-all" value={mentionAllPolicy} onChange={(e) => setMentionAllPolicy(e.target.value as MentionAllPolicy)}>
            <option value="admins">Admins and the owner</option>
            <option value="everyone">Every member</option>
            <option value="nobody">Nobody</option>
          </select>
        </label>
        <FormError error={error} />
        <CancelSubmit onCancel={onClose} busy={busy} label="Save" testId="group-settings-save" />
      </form>
      <hr className="section-rule" />
      <GroupRetentionSection conversation={conversation} />
      <hr className="section-rule" />
      <IncomingWebhooksSection conversation={conversation} />
      <hr className="section-rule" />
      <SlashCommandsSection conversation={conversation} />
    </Modal>
  );
}
