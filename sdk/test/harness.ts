// Shared set-up: a fresh browser state per test (storage, IndexedDB, timers, network) and
// recorders for what the SDK sends. The SDK module is re-imported per test so its
// module-level state starts empty, as on a new page load.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, beforeEach, vi } from 'vitest';
import type { InitOptions } from '../src/index';

export const ENDPOINT = 'https://collector.test/v1/events';
export const START = new Date('2026-03-01T10:00:00.000Z');
export type Event = Record<string, any>;

export interface Request {
  url: string;
  headers: Record<string, string>;
  keepalive: boolean;
  events: Event[];
  at: number;
}

/** Every fetch the SDK made, and every beacon, in order. */
export const requests: Request[] = [];
export const beacons: { url: string; events: Event[] }[] = [];
export const network = { online: true, beaconAccepts: true };
const replies: (number | Error)[] = [];
const listeners: [EventTarget, string, EventListenerOrEventListenerObject][] = [];

/** The next fetches answer these statuses (or throw these errors); afterwards 202. */
export function reply(...outcomes: (number | Error)[]): void {
  replies.push(...outcomes);
}

export const events = (): Event[] => requests.flatMap((request) => request.events);

function recordListeners(target: EventTarget): void {
  const original = target.addEventListener.bind(target);
  vi.spyOn(target, 'addEventListener').mockImplementation((type, listener, options) => {
    listeners.push([target, type, listener!]);
    original(type, listener, options);
  });
}

function defineNavigator(name: string, get: () => unknown): void {
  Object.defineProperty(navigator, name, { configurable: true, get });
}

export const privacy: { doNotTrack: string | null; globalPrivacyControl: boolean | undefined } = {
  doNotTrack: null,
  globalPrivacyControl: undefined,
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: START });
  localStorage.clear();
  requests.length = 0;
  beacons.length = 0;
  replies.length = 0;
  network.online = true;
  network.beaconAccepts = true;
  privacy.doNotTrack = null;
  privacy.globalPrivacyControl = undefined;
  vi.stubGlobal('indexedDB', new IDBFactory());
  vi.stubGlobal('IDBKeyRange', IDBKeyRange);
  defineNavigator('onLine', () => network.online);
  defineNavigator('doNotTrack', () => privacy.doNotTrack);
  defineNavigator('globalPrivacyControl', () => privacy.globalPrivacyControl);
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: vi.fn((url: string, data: string) => {
      if (!network.beaconAccepts) return false;
      beacons.push({ url, events: JSON.parse(data).events });
      return true;
    }),
  });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      requests.push({
        url,
        headers: init.headers as Record<string, string>,
        keepalive: init.keepalive === true,
        events: JSON.parse(init.body as string).events,
        at: Date.now(),
      });
      const outcome = replies.shift() ?? 202;
      if (outcome instanceof Error) throw outcome;
      return new Response(null, { status: outcome });
    }),
  );
  recordListeners(window);
  recordListeners(document);
});

afterEach(() => {
  // Listeners of this test's SDK instance must not hear the next test's events.
  for (const [target, type, listener] of listeners.splice(0)) {
    target.removeEventListener(type, listener);
  }
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

export async function loadSdk(options: Partial<InitOptions> = {}) {
  vi.resetModules();
  const sdk = await import('../src/index');
  sdk.init({ endpoint: ENDPOINT, ...options });
  await idle();
  return sdk;
}

/** Lets pending promise and IndexedDB work run (IndexedDB uses real, unfaked scheduling). */
export async function idle(turns = 30): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((done) => setImmediate(done));
}

/** Advances the fake clock, then lets the work it triggered finish. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await idle();
}

/** What the offline queue holds, read straight from IndexedDB. */
export async function queued(): Promise<Event[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open('clickstream');
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  try {
    if (!db.objectStoreNames.contains('q')) return [];
    return await new Promise<Event[]>((resolve, reject) => {
      const reading = db.transaction('q', 'readonly').objectStore('q').getAll();
      reading.onsuccess = () => resolve(reading.result);
      reading.onerror = () => reject(reading.error);
    });
  } finally {
    db.close();
  }
}

export async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((info) => info.name!);
}
