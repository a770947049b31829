import { describe, expect, it } from 'vitest';
import { settingsDiff } from './settingsDiff';

describe('settings before → after', () => {
  it('lists changed fields only', () => {
    const d = { before: { name: 'A', allow_http: false, config: {} }, after: { name: 'A', allow_http: true, config: { p: 1 } } };
    expect(settingsDiff(d)).toEqual([
      { field: 'allow_http', before: 'false', after: 'true' },
      { field: 'config', before: '{}', after: '{"p":1}' },
    ]);
  });

  it('an added or removed backend is a change of everything; events without before/after have none', () => {
    expect(settingsDiff({ before: null, after: { name: 'A' } })).toEqual([{ field: '(all)', before: 'none', after: '{"name":"A"}' }]);
    expect(settingsDiff({ before: { name: 'A' }, after: null })).toEqual([{ field: '(all)', before: '{"name":"A"}', after: 'none' }]);
    expect(settingsDiff({ decision: 'approve' })).toBeNull();
  });
});
