import { describe, expect, it } from 'vitest';
import { slackPayloadText, slackText } from '../../src/services/integrations/slack-payload.js';

describe('Slack incoming-webhook payloads as Markdown', () => {
  it('text: links, special mentions and escapes', () => {
    expect(slackText('Deploy <https://ci.example.com/42|#42> done &amp; &lt;ok&gt; <!here> <https://x.io>')).toBe(
      'Deploy [#42](https://ci.example.com/42) done & <ok> @here https://x.io',
    );
    expect(slackText('<!channel> ping <@U024BE7LH|bob> in <#C024BE7LR|general>')).toBe('@all ping @bob in #general');
    expect(slackText('<javascript:alert(1)|click>')).toBe('click');
  });

  it('Block Kit (the example from Slack\'s documentation): sections, fields, buttons; text is only the fallback', () => {
    const payload = {
      text: 'Danny Torrence left a 1 star review for your property.',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'Danny Torrence left the following review for your property:' } },
        {
          type: 'section',
          block_id: 'section567',
          text: { type: 'mrkdwn', text: '<https://example.com|Overlook Hotel> \n :star: \n Doors had too many axe holes, guest in room 237 was far too rowdy.' },
          accessory: { type: 'image', image_url: 'https://example.com/256x256bb.jpg', alt_text: 'Haunted hotel image' },
        },
        { type: 'section', block_id: 'section789', fields: [{ type: 'mrkdwn', text: '*Average Rating*\n1.0' }] },
        { type: 'divider' },
        { type: 'header', text: { type: 'plain_text', text: '构建成功 🎉' } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Last updated: Jan 1' }, { type: 'image', image_url: 'https://x/y.png', alt_text: 'x' }] },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'View' }, url: 'https://ci.example.com/42' }] },
      ],
    };
    expect(slackPayloadText(payload)).toBe(
      [
        'Danny Torrence left the following review for your property:',
        '[Overlook Hotel](https://example.com) \n :star: \n Doors had too many axe holes, guest in room 237 was far too rowdy.',
        '*Average Rating*\n1.0',
        '---',
        '**构建成功 🎉**',
        'Last updated: Jan 1',
        '[View](https://ci.example.com/42)',
      ].join('\n\n'),
    );
  });

  it('legacy attachments (the shape Alertmanager, Jenkins and Grafana send): pretext, author, linked title, text, fields, footer', () => {
    const payload = {
      attachments: [
        {
          fallback: 'Required plain-text summary of the attachment.',
          color: '#36a64f',
          pretext: 'Optional text that appears above the attachment block',
          author_name: 'Bobby Tables',
          author_link: 'http://flickr.com/bobby/',
          title: 'Slack API Documentation',
          title_link: 'https://api.slack.com/',
          text: 'Optional text that appears within the attachment',
          fields: [{ title: 'Priority', value: 'High', short: false }],
          footer: 'Slack API',
          ts: 123456789,
        },
      ],
    };
    expect(slackPayloadText(payload)).toBe(
      [
        'Optional text that appears above the attachment block',
        '[Bobby Tables](http://flickr.com/bobby/)',
        '**[Slack API Documentation](https://api.slack.com/)**',
        'Optional text that appears within the attachment',
        '**Priority**: High',
        '_Slack API_',
      ].join('\n'),
    );
    expect(slackPayloadText({ text: 'alert', attachments: [{ fallback: '[FIRING:1] HighLatency', color: 'danger' }] })).toBe('alert\n\n[FIRING:1] HighLatency');
  });

  it('rich text blocks keep their styles, lists and code', () => {
    const payload = {
      blocks: [
        {
          type: 'rich_text',
          elements: [
            { type: 'rich_text_section', elements: [{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'world', style: { bold: true } }, { type: 'emoji', name: 'wave' }] },
            { type: 'rich_text_list', style: 'bullet', elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] }] },
            { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'npm test' }] },
          ],
        },
      ],
    };
    expect(slackPayloadText(payload)).toBe('Hello **world**:wave:\n- one\n```\nnpm test\n```');
  });

  it('refuses what is not a payload, and a payload with nothing to say', () => {
    expect(() => slackPayloadText([1, 2])).toThrow(expect.objectContaining({ code: 'invalid_payload' }));
    expect(() => slackPayloadText({ text: 42 })).toThrow(expect.objectContaining({ code: 'invalid_payload' }));
    expect(() => slackPayloadText({ text: '   ', attachments: [] })).toThrow(expect.objectContaining({ code: 'no_text' }));
  });
});
