/** The fields a group is made of, shared by "New group" and "Group settings": name, description, who can find it. */
import { useState } from 'react';
import type { Conversation } from '../../../src/client/index.js';
import { useTranslation } from 'react-i18next';

export interface GroupBasics {
  name: string;
  description: string;
  visibility: 'public' | 'private';
}

/** The fields' state, from a group (settings) or empty (a new group); `valid` says what is wrong, if anything. */
export function useGroupBasics(from?: Conversation) {
  const { t } = useTranslation();
  const [basics, setBasics] = useState<GroupBasics>({
    name: from?.name ?? '',
    description: from?.description ?? '',
    visibility: from?.visibility ?? 'private',
  });
  const change = (patch: Partial<GroupBasics>) => setBasics((b) => ({ ...b, ...patch }));
  /** As the API takes them: trimmed, an empty description cleared. */
  const body = { name: basics.name.trim(), description: basics.description.trim() || null, visibility: basics.visibility };
  const problem = body.name ? null : t('groups.needsName');
  return { basics, change, body, problem };
}

export function GroupFields({
  basics,
  change,
  autoFocus = true,
  descriptionHint,
}: {
  basics: GroupBasics;
  change: (patch: Partial<GroupBasics>) => void;
  autoFocus?: boolean;
  descriptionHint: string;
}) {
  const { t } = useTranslation();
  return (
    <>
      <label>
        {t('groups.name')}
        <input data-testid="group-name-input" value={basics.name} maxLength={100} onChange={(e) => change({ name: e.target.value })} required autoFocus={autoFocus} />
      </label>
      <label>
        <span>
          {t('groups.description')} <span className="muted">({descriptionHint})</span>
        </span>
        <textarea data-testid="group-description-input" value={basics.description} maxLength={1000} rows={3} onChange={(e) => change({ description: e.target.value })} />
      </label>
      <fieldset className="radio-row">
        <legend>{t('groups.whoCanFind')}</legend>
        <label>
          <input type="radio" name="visibility" data-testid="group-visibility-private" checked={basics.visibility === 'private'} onChange={() => change({ visibility: 'private' })} />{' '}
          {t('groups.private')}
        </label>
        <label>
          <input type="radio" name="visibility" data-testid="group-visibility-public" checked={basics.visibility === 'public'} onChange={() => change({ visibility: 'public' })} />{' '}
          {t('groups.public')}
        </label>
      </fieldset>
    </>
  );
}
