import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLocator, locateAll } from './location.ts';

function moduleFile(source: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'authkit-location-')), 'locate.mjs');
  writeFileSync(path, source);
  return path;
}

describe('locateAll', () => {
  it('shows nothing without a lookup (the default)', async () => {
    expect(await locateAll(['203.0.113.5'], null)).toEqual(new Map());
  });

  it('looks each distinct address up once, and keeps the answers it got', async () => {
    const asked: string[] = [];
    const found = await locateAll(['203.0.113.5', '203.0.113.5', '198.51.100.7', ''], (ip) => {
      asked.push(ip);
      return ip === '203.0.113.5' ? '  Lisbon, Portugal ' : null;
    });
    expect(asked.sort()).toEqual(['198.51.100.7', '203.0.113.5']);
    expect(found).toEqual(new Map([['203.0.113.5', 'Lisbon, Portugal']]));
  });

  it('leaves out an address whose lookup throws, rejects or is too slow; cuts long answers', async () => {
    const found = await locateAll(
      ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'],
      async (ip) => {
        if (ip === '192.0.2.1') throw new Error('lookup down');
        if (ip === '192.0.2.2') return Promise.reject(new Error('no'));
        if (ip === '192.0.2.3')
          return new Promise((resolve) => setTimeout(() => resolve('Late'), 500));
        return 'x'.repeat(200);
      },
      50,
    );
    expect([...found.keys()]).toEqual(['192.0.2.4']);
    expect(found.get('192.0.2.4')).toHaveLength(80);
  });
});

describe('loadLocator', () => {
  it('is off without a module', async () => {
    expect(await loadLocator(undefined)).toBeNull();
  });

  it('takes the default export of the operator’s module', async () => {
    const locate = await loadLocator(
      moduleFile("export default (ip) => (ip.startsWith('203.0.113.') ? 'Test City' : null);"),
    );
    expect(await locateAll(['203.0.113.9', '198.51.100.1'], locate)).toEqual(
      new Map([['203.0.113.9', 'Test City']]),
    );
  });

  it('refuses a module without a default function', async () => {
    await expect(loadLocator(moduleFile('export const locate = () => null;'))).rejects.toThrow(
      /IP_LOCATION_MODULE must export a default function/,
    );
  });
});
