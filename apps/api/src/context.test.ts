// The request loader's view of a request: address, scheme and the CSRF rule.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { checkCsrf, requestInfo } from './context.ts';

function request(headers: Record<string, string>): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  return req;
}

const web = 'http://localhost:5173';
const json = { 'content-type': 'application/json', host: 'api.example.com' };

describe('requestInfo', () => {
  it('takes X-Forwarded-For only behind a trusted proxy, and its last entry', () => {
    const req = request({ 'x-forwarded-for': '6.6.6.6, 203.0.113.9', 'user-agent': 'UA/1' });
    expect(requestInfo(req, true)).toMatchObject({ ip: '203.0.113.9', userAgent: 'UA/1' });
    expect(requestInfo(req, false).ip).not.toBe('203.0.113.9');
  });

  it('walks X-Forwarded-For past the trusted hops: a count, or proxy addresses and CIDRs', () => {
    const req = request({ 'x-forwarded-for': '6.6.6.6, 198.51.100.4, 10.0.0.2' });
    Object.defineProperty(req.socket, 'remoteAddress', { value: '::ffff:10.0.0.1' });
    expect(requestInfo(req, 0).ip).toBe('10.0.0.1');
    expect(requestInfo(req, 1).ip).toBe('10.0.0.2');
    expect(requestInfo(req, 2).ip).toBe('198.51.100.4');
    // More hops than entries: the farthest entry.
    expect(requestInfo(req, 9).ip).toBe('6.6.6.6');
    expect(requestInfo(req, ['10.0.0.0/8']).ip).toBe('198.51.100.4');
    expect(requestInfo(req, ['10.0.0.1', '10.0.0.2', '198.51.100.0/24']).ip).toBe('6.6.6.6');
    // A peer that is not a trusted proxy: its own address, whatever the header says.
    expect(requestInfo(req, ['192.0.2.0/24']).ip).toBe('10.0.0.1');
  });

  it('marks https from a trusted proxy and bounds the user agent', () => {
    const req = request({ 'x-forwarded-proto': 'https', 'user-agent': 'x'.repeat(5000) });
    expect(requestInfo(req, true).https).toBe(true);
    expect(requestInfo(req, false).https).toBe(false);
    expect(requestInfo(req, false).userAgent).toHaveLength(512);
  });
});

describe('checkCsrf', () => {
  const refused = (headers: Record<string, string>, via: 'cookie' | 'bearer' | null = 'cookie') => {
    try {
      checkCsrf(request(headers), via, web);
      return null;
    } catch (error) {
      return (error as TRPCError).code;
    }
  };

  it('lets same-site cookie mutations through', () => {
    expect(refused({ ...json, origin: web })).toBeNull();
    expect(refused({ ...json, origin: 'https://api.example.com' })).toBeNull();
    expect(refused({ ...json })).toBeNull();
  });

  it('refuses foreign origins and cross-site fetches', () => {
    expect(refused({ ...json, origin: 'https://evil.example' })).toBe('FORBIDDEN');
    expect(refused({ ...json, origin: 'null' })).toBe('FORBIDDEN');
    expect(refused({ ...json, 'sec-fetch-site': 'cross-site' })).toBe('FORBIDDEN');
  });

  it('requires JSON unless the call is bearer-authenticated', () => {
    expect(refused({ origin: web, 'content-type': 'text/plain' })).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(refused({ 'content-type': 'multipart/form-data; boundary=x' }, null)).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(refused({ 'content-type': 'application/json; charset=utf-8' }, null)).toBeNull();
    expect(
      refused({ origin: 'https://evil.example', 'content-type': 'text/plain' }, 'bearer'),
    ).toBeNull();
  });
});
