import { describe, expect, it } from 'vitest';
import { renderTable } from './markdown.js';

describe('renderTable', () => {
  it('renders a GitHub table with per-column alignment', () => {
    expect(renderTable(['impl', 'ms'], [['cria', '1.23']], ['left', 'right'])).toBe(['| impl | ms |', '| --- | ---: |', '| cria | 1.23 |'].join('\n'));
  });

  it('escapes pipes and newlines inside cells', () => {
    expect(renderTable(['a'], [['x | y\nz']])).toContain('| x \\| y z |');
  });

  it('refuses ragged rows', () => {
    expect(() => renderTable(['a', 'b'], [['only one']])).toThrow(/1 cells, the header has 2/);
  });
});
