/**
 * Group settings for admins: name, description, who can find it, who may post (announcement
 * groups), who may use @all / @here, how long messages are kept, its incoming webhooks and its own slash commands. Opened from the
 * conversation header and from the details panel.
 */
import { useState, type FormEvent } from 'react';
import type { Conversation, MentionAllPolicy, PostingPolicy } from '../../../src/client/index.js';

type HistoryVisibility = NonNullable<Conversation['historyVisibility']>;
import { useStore } from '../store/hooks.js';
import { errorText } from '../toasts.js';
import { GroupFields, useGroupBasics } from './group-fields.js';
import { GroupRetentionSection } from './group-retention-section.js';
import { IncomingWebhooksSection } from './incoming-webhooks-section.js';
import { SlashCommandsSection } from './slash-commands-section.js';
import { Modal } from './modal.js';
import { CancelSubmit, FormError } from './form-parts.js';
import { useTranslation } from 'react-i18next';

export function GroupSettingsDialog({ conversation, onClose }: { conversation: Conversation; onClose: () => void }) {
  const { t } = useTranslation();
  const store = useStore();
  const group = useGroupBasics(conversation);
  const [postingPolicy, setPostingPolicy] = useState<PostingPolicy>(conversation.postingPolicy ?? 'everyone');
  const [mentionAllPolicy, setMentionAllPolicy] = useState<MentionAllPolicy>(conversation.mentionAllPolicy ?? 'admins');
  const [historyVisibility, setHistoryVisibility] = useState<HistoryVisibility>(conversation.historyVisibility ?? 'all');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (group.problem) return setError(group.problem);
    setBusy(true);
    try {
      await store.updateGroup(conversation.id, { ...group.body, postingPolicy, mentionAllPolicy, historyVisibility });
      onClose();
    } catch (err) {
      setBusy(false);
      setError(errorText(err, t('groups.action.saveSettings')));
    }
  };

  return (
    <Modal title={t('groups.settings')} onClose={onClose} testId="group-settings-dialog">
      <form className="form" onSubmit={(e) => void save(e)}>
        <GroupFields basics={group.basics} change={group.change} descriptionHint={t('groups.descriptionHint')} />
        <label className="checkbox-row">
          <input
            type="checkbox"
            data-testid="group-settings-admins-only"
            checked={postingPolicy === 'admins'}
            onChange={(e) => setPostingPolicy(e.target.checked ? 'admins' : 'everyone')}
          />{' '}
          {t('groups.adminsOnly')} <span className="muted">{t('groups.adminsOnlyHint')}</span>
        </label>
        <label>
          {t('groups.mentionAll')}
          <select data-testid="group-settings-mention-all" value={mentionAllPolicy} onChange={(e) => setMentionAllPolicy(e.target.value as MentionAllPolicy)}>
            <option value="admins">{t('groups.mentionAllPolicy.admins')}</option>
            <option value="everyone">{t('groups.mentionAllPolicy.everyone')}</option>
            <option value="nobody">{t('groups.mentionAllPolicy.nobody')}</option>
          </select>
        </label>
        <label>
          {t('groups.historyVisibility')}
          <select data-testid="group-settings-history" value={historyVisibility} onChange={(e) => setHistoryVisibility(e.target.value as HistoryVisibility)}>
            <option value="all">{t('groups.historyVisibilityPolicy.all')}</option>
            <option value="joined">{t('groups.historyVisibilityPolicy.joined')}</option>
          </select>
        </label>
        <FormError error={error} />
        <CancelSubmit onCancel={onClose} busy={busy} label={t('common.save')} testId="group-settings-save" />
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
