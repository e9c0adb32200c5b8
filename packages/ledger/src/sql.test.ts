import { describe, expect, it } from 'vitest';
import { dollarQuote } from './sql.js';

describe('dollarQuote', () => {
  it('wraps text in a dollar-quote tag', () => {
    expect(dollarQuote('{"a":"it\'s"}')).toBe('$j${"a":"it\'s"}$j$');
  });

  it('picks a tag that does not occur in the text, so the text cannot end the literal', () => {
    const hostile = 'x$j$); drop table transaction_record; --$j0$';
    const quoted = dollarQuote(hostile);
    expect(quoted).toBe(`$j1$${hostile}$j1$`);
    expect(quoted.slice(4, -4)).toBe(hostile);
  });
});
