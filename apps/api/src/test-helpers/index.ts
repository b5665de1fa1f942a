// For the API's tests, one import: the API in this process over a fresh
// database (server.ts), plain-HTTP calls (calls.ts), users signed in through
// the API (accounts.ts), and processes of a test file's own: database servers
// and the real API process (processes.ts, api-process.ts).
export * from './accounts.ts';
export * from './api-process.ts';
export * from './calls.ts';
export * from './processes.ts';
export * from './server.ts';
