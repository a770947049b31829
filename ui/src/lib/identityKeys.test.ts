import { describe, expect, it } from 'vitest';
import { defaultIdentityKeys, identityKeysOf, keysText, parseKeys, sameIdentityKeys, withIdentityKeys } from './identityKeys';

describe('identity keys', () => {
  it('a config without identity keys gets the generated defaults; a set list replaces its default only', () => {
    expect(identityKeysOf({ project: 'p' })).toEqual({
      user_keys: ['user_id'],
      tenant_keys: ['tenant_id', 'tenant'],
      session_keys: ['session_id', 'conversation_id', 'thread_id'],
    });
    const mine = identityKeysOf({ identity: { user_keys: ['customer'], tenant_keys: 'org' } });
    expect(mine.user_keys).toEqual(['customer']);
    expect(mine.tenant_keys).toEqual(['tenant_id', 'tenant']);
    expect(identityKeysOf(null)).toEqual(defaultIdentityKeys());
  });

  it('a line of keys is split on commas, trimmed, blanks dropped', () => {
    expect(parseKeys(' customer , user_id,, ')).toEqual(['customer', 'user_id']);
    expect(parseKeys('')).toEqual([]);
    expect(keysText(['a', 'b'])).toBe('a, b');
  });

  it('saving keeps the other settings and removes the entry for the defaults', () => {
    const org = { ...defaultIdentityKeys(), tenant_keys: ['org'] };
    const config = withIdentityKeys({ project: 'evals' }, org);
    expect(config).toEqual({ project: 'evals', identity: org });
    expect(withIdentityKeys(config, defaultIdentityKeys())).toEqual({ project: 'evals' });
    expect(sameIdentityKeys(identityKeysOf(config), org)).toBe(true);
    expect(sameIdentityKeys(org, defaultIdentityKeys())).toBe(false);
  });
});
