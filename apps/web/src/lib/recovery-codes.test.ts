import { describe, expect, it } from 'vitest';
import { recoveryCodesFile, secretGroups } from './recovery-codes.ts';

describe('secretGroups', () => {
  it('splits the key in groups of four', () => {
    expect(secretGroups('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')).toEqual([
      'ABCD',
      'EFGH',
      'IJKL',
      'MNOP',
      'QRST',
      'UVWX',
      'YZ23',
      '4567',
    ]);
    expect(secretGroups('ABCDEF')).toEqual(['ABCD', 'EF']);
  });
});

describe('recoveryCodesFile', () => {
  it('says what the codes are and lists one a line', () => {
    const file = recoveryCodesFile('authkit', ['aaaa-bbbb', 'cccc-dddd']);
    expect(file.split('\n')[0]).toBe('authkit recovery codes for two-step verification');
    expect(file).toMatch(/\naaaa-bbbb\ncccc-dddd\n$/);
  });
});
