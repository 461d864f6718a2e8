/** The group settings' "Message retention": this group's own period, or the site's. */
import type { Conversation } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { RetentionField } from './retention-field.js';
import { useTranslation } from 'react-i18next';

export function GroupRetentionSection({ conversation }: { conversation: Conversation }) {
  const { t } = useTranslation();
  const { api } = useStore();
  const initial = (conversation as Conversation & { retentionDays?: number | null }).retentionDays ?? null;
  return (
    <section>
      <h3>{t('retention.title')}</h3>
      <RetentionField
        initial={initial}
        emptyMeaning={t('retention.siteSetting')}
        testId="group-retention"
        save={async (days) => (await api.request<{ retentionDays: number | null }>('PATCH', `/groups/${encodeURIComponent(conversation.id)}`, { body: { retentionDays: days } })).retentionDays}
      />
    </section>
  );
}
