/** The group settings' "Message retention": this group's own period, or the site's. */
import type { Conversation } from '../../../src/client/index.js';
import { useStore } from '../store/hooks.js';
import { RetentionField } from './retention-field.js';

export function GroupRetentionSection({ conversation }: { conversation: Conversation }) {
  const { api } = useStore();
  const initial = (conversation as Conversation & { retentionDays?: number | null }).retentionDays ?? null;
  return (
    <section>
      <h3>Message retention</h3>
      <RetentionField
        initial={initial}
        emptyMeaning="the site's setting"
        testId="group-retention"
        save={async (days) => (await api.request<{ retentionDays: number | null }>('PATCH', `/groups/${encodeURIComponent(conversation.id)}`, { body: { retentionDays: days } })).retentionDays}
      />
    </section>
  );
}
