// ADF plain-text extraction (EmulatedComment.text) and the structural ADF check.
import { describe, expect, it } from 'vitest';
import { adfFromText, adfText } from '../../../emulators/jira/index.js';
import { isAdfDocument } from '../../../emulators/jira/adf.js';

describe('ADF', () => {
  it('concatenates text nodes; paragraphs and other blocks are separated by "\\n"; hard breaks are newlines', () => {
    const doc = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Rotation ' }, { type: 'text', text: 'done', marks: [{ type: 'strong' }] }] },
        { type: 'paragraph', content: [{ type: 'text', text: 'line one' }, { type: 'hardBreak' }, { type: 'text', text: 'line two' }] },
        { type: 'bulletList', content: [{ type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'a' }] }] }, { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'b' }] }] }] },
      ],
    };
    expect(isAdfDocument(doc)).toBe(true);
    expect(adfText(doc)).toBe('Rotation done\nline one\nline two\na\nb');
    expect(adfText(adfFromText('x\ny'))).toBe('x\ny');
  });

  it('refuses what is not a version-1 doc of well-formed nodes', () => {
    expect(isAdfDocument('text')).toBe(false);
    expect(isAdfDocument({ type: 'doc', version: 2, content: [] })).toBe(false);
    expect(isAdfDocument({ type: 'doc', version: 1, content: [{ type: 'text' }] })).toBe(false);
    expect(isAdfDocument({ type: 'doc', version: 1, content: [{ text: 'no type' }] })).toBe(false);
    expect(isAdfDocument({ type: 'doc', version: 1, content: [] })).toBe(true);
  });
});
