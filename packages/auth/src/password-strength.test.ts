// The strength hint (browser) and the server must never disagree: the hint's
// `acceptable` is the server's decision (length rules, then passwordWeakness).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as passwords from './passwords.ts';
import {
  accountUserInputs,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  passwordStrength,
  passwordWeakness,
} from './password-strength.ts';
import { checkNewPassword } from './validation.ts';

const username = 'marguerite_k';
const email = 'rita.kowalska@example.com';
const userInputs = accountUserInputs(username, email);

/** What the server answers for a new password: null, or the field's message. */
async function serverMessage(password: string): Promise<string | null> {
  try {
    await checkNewPassword(password, 'password', userInputs);
    return null;
  } catch (error) {
    const fieldErrors = (error as { fieldErrors?: Record<string, string[]> }).fieldErrors;
    return fieldErrors?.password?.[0] ?? 'unexpected';
  }
}

const samples = [
  'password1234',
  'P@ssw0rd1234',
  'correct horse battery staple',
  'marguerite_k2024',
  'Marguerite_K!!',
  'rita.kowalska1',
  'qwertyuiop',
  'abc',
  'Tr0ub4dor&3',
  'llama rhubarb gondola 17',
  'zQ8#vL2!pR',
  '12345678',
  'a'.repeat(300),
  'ünïcödé pässwörd lönger',
  '😀😀😀😀😀😀😀', // 7 code points, 14 UTF-16 units: too short
];

describe('passwordStrength', () => {
  it.each(samples)('agrees with the server for %j', async (password) => {
    const strength = passwordStrength(password, userInputs);
    const server = await serverMessage(password);
    expect(strength.acceptable).toBe(server === null);
    expect(strength.message).toBe(server);
    expect(strength.acceptable).toBe(strength.message === null);
  });

  it('refuses common passwords, even with l33t substitutions', async () => {
    for (const password of ['password1234', 'P@ssw0rd1234']) {
      const strength = passwordStrength(password, userInputs);
      expect(strength.acceptable).toBe(false);
      expect(strength.score).toBeLessThan(2);
      expect(strength.message).toMatch(/too easy to guess/);
      expect(passwordWeakness(password, userInputs)).toBe(strength.message);
      expect(await passwords.passwordWeakness(password, userInputs)).toBe(strength.message);
    }
  });

  it('accepts a long passphrase', () => {
    const strength = passwordStrength('correct horse battery staple', userInputs);
    expect(strength).toMatchObject({ acceptable: true, message: null, length: 'ok' });
    expect(strength.score).toBeGreaterThanOrEqual(3);
  });

  it("refuses a password built from the user's own name, which it accepts for someone else", async () => {
    const password = 'marguerite_k2024';
    expect(passwordStrength(password, userInputs).acceptable).toBe(false);
    expect(passwordWeakness(password, userInputs)).not.toBeNull();
    expect(passwordStrength(password, []).acceptable).toBe(true);
    expect(passwordWeakness(password, [])).toBeNull();
    expect(await passwords.passwordWeakness(password, userInputs)).not.toBeNull();
    expect(await passwords.passwordWeakness(password, [])).toBeNull();
  });

  it('applies the length rules in code points', () => {
    expect(passwordStrength('😀'.repeat(PASSWORD_MIN_LENGTH - 1)).length).toBe('short');
    expect(passwordStrength('😀'.repeat(PASSWORD_MIN_LENGTH)).length).toBe('ok');
    expect(passwordStrength('x9!'.repeat(PASSWORD_MAX_LENGTH)).length).toBe('long');
    expect(passwordStrength('abc')).toMatchObject({
      acceptable: false,
      message: 'Use at least 8 characters.',
    });
  });

  it('derives user inputs from the username and the email address', () => {
    expect(accountUserInputs(username, email)).toEqual([username, email, 'rita.kowalska']);
    expect(accountUserInputs(undefined, 42)).toEqual([]);
    expect(accountUserInputs('', '')).toEqual([]);
  });

  it('shares its rules with what passwords.ts exports to the server', () => {
    expect(passwords.accountUserInputs).toBe(accountUserInputs);
    expect(passwords.PASSWORD_MIN_LENGTH).toBe(PASSWORD_MIN_LENGTH);
    expect(passwords.PASSWORD_MAX_LENGTH).toBe(PASSWORD_MAX_LENGTH);
  });
});

// The dictionaries (about 12 MB of heap) load on the first strength check, not
// when a server imports the package: most requests never set a password.
describe('loading the password-strength dictionaries', () => {
  it('waits for the first strength check', () => {
    // A fresh process (this one has loaded them already) that records which
    // zxcvbn language modules get resolved, before and after the first check.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = new Set();
      registerHooks({
        resolve(specifier, context, next) {
          const result = next(specifier, context);
          if (/@zxcvbn-ts\\/language-/.test(result.url)) loaded.add(specifier);
          return result;
        },
      });
      const auth = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
      const atStart = [...loaded];
      const validation = await import(${JSON.stringify(new URL('./validation.ts', import.meta.url).href)});
      const refused = await Promise.resolve()
        .then(() => validation.checkNewPassword('password1234', 'password', []))
        .then(() => false, () => true);
      console.log(JSON.stringify({ atStart, afterCheck: [...loaded], refused, exported: typeof auth.hashPassword }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const result = JSON.parse(output.trim().split('\n').pop() ?? '{}');
    expect(result.exported).toBe('function');
    expect(result.atStart).toEqual([]);
    expect(result.refused).toBe(true);
    expect(result.afterCheck.length).toBeGreaterThan(0);
  });
});
