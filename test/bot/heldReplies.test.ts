import { describe, expect, it } from 'vitest';
import { ActionTypes, CardFactory, MessageFactory, type Activity } from 'botbuilder';
import { repliesToPost } from '../../src/bot/heldReplies';

/** A turn's messages as posts to the Bot Connector: words run on into the next message; what carries more stays. */
describe('repliesToPost', () => {
  const words = (text: string) => MessageFactory.text(text) as Partial<Activity>;
  const question = MessageFactory.suggestedActions([{ type: ActionTypes.ImBack, title: 'Ja', value: 'Ja' }], 'Ska jag stänga av den nu?') as Partial<Activity>;

  it('runs words into the question after them: one post, the question\'s buttons kept', () => {
    const posts = repliesToPost([words('Tack, ett ögonblick …'), words('Nu är du verifierad.'), question]);
    expect(posts).toHaveLength(1);
    expect(posts[0].parts).toBe(3);
    expect(posts[0].activity.text).toBe('Tack, ett ögonblick …\n\nNu är du verifierad.\n\nSka jag stänga av den nu?');
    expect(posts[0].activity.suggestedActions).toEqual(question.suggestedActions);
  });

  it('keeps a card\'s text as it is (it has none of its own) and puts the words before it', () => {
    const card = { type: 'message', attachments: [CardFactory.heroCard('Välj')], summary: 'Välj' } as Partial<Activity>;
    const [post] = repliesToPost([words('Klart.'), card]);
    expect(post).toMatchObject({ parts: 2, activity: { text: 'Klart.', attachments: card.attachments, summary: 'Välj' } });
  });

  it('never runs a message with buttons, a card, a value or channel data into the next one', () => {
    const card = { type: 'message', text: 'Kort', attachments: [CardFactory.heroCard('x')] } as Partial<Activity>;
    const withData = { ...words('Data'), channelData: { notification: { alert: true } } };
    const posts = repliesToPost([question, words('a'), card, words('b'), withData, words('c')]);
    // Words may run on into a message that carries more (it keeps what it carries); nothing runs on out of one.
    expect(posts.map((post) => post.parts)).toEqual([1, 2, 2, 1]);
    expect(posts.map((post) => post.activity.text)).toEqual([question.text, 'a\n\nKort', 'b\n\nData', 'c']);
    expect(posts[2].activity.channelData).toEqual(withData.channelData);
  });

  it('leaves a typing indicator and the words apart, and the words of another format too', () => {
    const markdown = { ...words('**Viktigt**'), textFormat: 'markdown' };
    const posts = repliesToPost([{ type: 'typing' }, words('a'), markdown]);
    expect(posts.map((post) => post.parts)).toEqual([1, 1, 1]);
  });
});
