/**
 * Clickstream browser SDK: records page views and e-commerce events and sends them to
 * the ingest API (`POST /v1/events`) in the shape of `shared/contract.py` `ClientEvent`.
 *
 * Size matters more than elegance here (budget: 2.5 KB min+gzip for the IIFE), so the
 * code favours short shared helpers over abstractions. Every top-level export is part of
 * the public API documented in `docs/sdk.md`.
 */

export type EventType =
  | 'view'
  | 'click'
  | 'search'
  | 'add_to_cart'
  | 'remove_from_cart'
  | 'checkout'
  | 'purchase';

/** A product as the e-commerce helpers take it; field names are the contract's `ecom`. */
export interface Product {
  product_id: string;
  product_name?: string;
  category?: string;
  brand?: string;
  /** ISO 4217, e.g. "USD". */
  currency?: string;
  price?: number;
  qty?: number;
}

export interface Ecom extends Partial<Product> {
  order_id?: string;
}

export type Props = Record<string, unknown>;

export interface InitOptions {
  /** Absolute URL of the ingest API, e.g. "https://shop.example/v1/events". */
  endpoint: string;
  /** Sent as the `x-api-key` header (fetch) or the `writeKey` query parameter (beacon). */
  writeKey?: string;
  /** For logged-in visitors: its token is sent as `Authorization: Bearer` (fetch only). */
  getIdToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /**
   * `false`: consent is required and not given yet: nothing is recorded or stored until
   * `consent(true)`. `true` or absent: recording starts at once.
   */
  consent?: boolean;
  /** Events per request; a full batch is sent at once (default 10). */
  batchSize?: number;
  /** Milliseconds an event may wait for its batch to fill (default 5000). */
  flushInterval?: number;
  /** Events the offline queue holds at most; more are dropped and counted (default 1000). */
  maxQueue?: number;
}

/** One event as sent: `ClientEvent` of the contract, `sent_at` added at send time. */
export interface ClientEvent {
  event_id: string;
  ts: string;
  event_type: EventType;
  session_id: string;
  anonymous_id: string;
  page_url: string;
  sent_at?: string;
  user_id?: string;
  referrer?: string;
  page_title?: string;
  device: { type: 'mobile' | 'desktop' | 'tablet' };
  ecom?: Ecom;
  props?: Props;
}

/** Inactivity after which the next event starts a new session (SPEC §6). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;
/** Retries of one batch before it is parked in the offline queue for a later page or `online`. */
export const MAX_RETRIES = 6;
/** Backoff: the n-th retry waits a uniformly random time in [0, min(cap, base * 2^n)). */
export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 30000;

const ECOM_FIELDS = 'product_id product_name category brand currency price qty order_id'.split(' ');
const STORE = 'q';
const ANONYMOUS_KEY = 'cs_aid';
const SESSION_KEY = 'cs_sid';
const USER_KEY = 'cs_uid';
const OVERFLOW_KEY = 'cs_ovf';
// E-mail addresses, plain or percent-encoded, wherever the SDK copies free text.
const EMAIL = /[\w.+-]+(@|%40)[\w-]+(\.[\w-]+)+/gi;

let options: InitOptions | undefined;
let allowed = false;
let buffer: ClientEvent[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let draining = false;
const waiting = new Set<ClientEvent[]>();
// The signed-in user set on this page; undefined: whatever an earlier page stored.
let user: string | null | undefined;
let database: Promise<IDBDatabase> | undefined;
const memory: Record<string, string> = {};

// ---- storage: localStorage, else a first-party cookie, else this page's memory ----

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    const found = document.cookie.match('(^|; )' + key + '=([^;]*)');
    return found ? found[2] : memory[key] ?? null;
  }
}

function write(key: string, value?: string | null): void {
  try {
    value == null ? localStorage.removeItem(key) : localStorage.setItem(key, value);
  } catch {
    value == null ? delete memory[key] : (memory[key] = value);
    document.cookie =
      key + '=' + (value ?? '') + ';path=/;SameSite=Lax;max-age=' + (value == null ? 0 : 31536e3);
  }
}

// UUIDv7 (RFC 9562): 48 bits of milliseconds, then random bits. Ids made close in time sort
// close together, so each hour's new event and session ids land in a few recent pages of
// the warehouse's indexes instead of pages spread over the whole history.
function uuid(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = [...crypto.getRandomValues(new Uint8Array(10))]
    .map((byte) => (byte | 256).toString(16).slice(1))
    .join('');
  const variant = (8 | (parseInt(random[3], 16) & 3)).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(0, 3)}-${variant}${random.slice(4, 7)}-${random.slice(7, 19)}`;
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();
const scrub = (text: string) => text.replace(EMAIL, '');

function privacySignal(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return (
    nav.globalPrivacyControl === true ||
    nav.doNotTrack == '1' ||
    (window as unknown as { doNotTrack?: string }).doNotTrack == '1'
  );
}

function deviceType(): ClientEvent['device']['type'] {
  const agent = navigator.userAgent;
  return /iPad|Tablet|Android(?!.*Mobile)/i.test(agent)
    ? 'tablet'
    : /Mobi|iPhone/i.test(agent)
      ? 'mobile'
      : 'desktop';
}

function sessionId(now: number): string {
  const [stored, last] = (read(SESSION_KEY) || '').split('.');
  const id = stored && now - +last < SESSION_TIMEOUT_MS ? stored : uuid(now);
  write(SESSION_KEY, id + '.' + now);
  return id;
}

function anonymousId(): string {
  let id = read(ANONYMOUS_KEY);
  if (!id) write(ANONYMOUS_KEY, (id = uuid()));
  return id;
}

// ---- the offline queue (IndexedDB) ----

function request<T>(pending: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(pending.error);
  });
}

function store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
  database ||= new Promise((resolve, reject) => {
    const opening = indexedDB.open('clickstream', 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { autoIncrement: true });
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  return database.then((db) => db.transaction(STORE, mode).objectStore(STORE));
}

/** Events dropped because the offline queue was full or unavailable, since the last `consent(false)`. */
export function overflowCount(): number {
  return +(read(OVERFLOW_KEY) || 0);
}

async function park(events: ClientEvent[]): Promise<void> {
  let room = 0;
  try {
    const queue = await store('readwrite');
    room = Math.max(0, (options!.maxQueue || 1000) - (await request(queue.count())));
    events.slice(0, room).map((event) => queue.add(event));
  } catch {
    // No IndexedDB (private mode, blocked): these events are lost, and counted.
  }
  if (events.length > room) write(OVERFLOW_KEY, '' + (overflowCount() + events.length - room));
}

async function drain(): Promise<void> {
  if (draining || !allowed || !navigator.onLine) return;
  draining = true;
  try {
    for (;;) {
      const queue = await store('readonly');
      const size = options!.batchSize || 10;
      const [keys, events] = await Promise.all([
        request(queue.getAllKeys(null, size)),
        request(queue.getAll(null, size)),
      ]);
      if (!keys.length || !(await post(events))) break;
      await request((await store('readwrite')).delete(IDBKeyRange.bound(keys[0], keys[keys.length - 1])));
    }
  } catch {
    // The queue stays as it is; the next page load or `online` event tries again.
  } finally {
    draining = false;
  }
}

// ---- sending ----

const body = (events: ClientEvent[]) =>
  JSON.stringify({ events: events.map((event) => ({ ...event, sent_at: iso() })) });

/** One attempt. True when the batch is settled: accepted, or refused for good (4xx but 429). */
async function post(events: ClientEvent[]): Promise<boolean> {
  try {
    // text/plain like the beacon: without credentials no CORS preflight is needed.
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    const token = options!.getIdToken && (await options!.getIdToken());
    if (options!.writeKey) headers['x-api-key'] = options!.writeKey;
    if (token) headers.authorization = 'Bearer ' + token;
    const response = await fetch(options!.endpoint, {
      method: 'POST',
      body: body(events),
      headers,
      keepalive: true,
    });
    return response.status < 500 && response.status != 429;
  } catch {
    return false;
  }
}

async function send(events: ClientEvent[], attempt = 0): Promise<void> {
  if (!navigator.onLine) return park(events);
  if (await post(events)) return void drain();
  if (attempt >= MAX_RETRIES) return park(events);
  waiting.add(events);
  setTimeout(
    () => waiting.delete(events) && send(events, attempt + 1),
    Math.random() * Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** attempt),
  );
}

/** Sends what is buffered now, with fetch (or the beacon when the page is going away). */
export function flush(beacon?: boolean): void {
  clearTimeout(timer);
  timer = undefined;
  if (beacon) {
    // Batches waiting for a retry would die with the page: the queue keeps them instead.
    waiting.forEach(park);
    waiting.clear();
  }
  const events = buffer.splice(0);
  if (!events.length) return;
  if (beacon && navigator.onLine) {
    const key = options!.writeKey;
    const url = options!.endpoint;
    const target = key ? url + (url.includes('?') ? '&' : '?') + 'writeKey=' + encodeURIComponent(key) : url;
    if (navigator.sendBeacon?.(target, body(events))) return;
  }
  send(events);
}

function hide(): void {
  if (document.visibilityState == 'hidden') flush(true);
}

// ---- public API ----

export function init(settings: InitOptions): void {
  if (!options) {
    addEventListener('pagehide', () => flush(true));
    document.addEventListener('visibilitychange', hide);
    addEventListener('online', drain);
  }
  options = settings;
  allowed = settings.consent !== false && !privacySignal();
  drain();
}

/**
 * Grants or withdraws consent. Withdrawing drops buffered events and deletes the SDK's
 * identifiers and offline queue from the browser.
 */
export function consent(granted: boolean): void {
  allowed = granted && !privacySignal();
  if (allowed) return void drain();
  buffer = [];
  waiting.clear();
  [ANONYMOUS_KEY, SESSION_KEY, USER_KEY, OVERFLOW_KEY].map((key) => write(key));
  database?.then(
    (db) => db.close(),
    () => {},
  );
  database = undefined;
  try {
    indexedDB.deleteDatabase('clickstream');
  } catch {
    // Nothing stored: nothing to delete.
  }
}

/** Sets (or with no argument clears) the signed-in user's id; the ingest API hashes it. */
export function identify(userId?: string | null): void {
  user = userId || null;
  if (allowed) write(USER_KEY, user);
}

/** Records any event; the helpers below cover the e-commerce conventions of the contract. */
export function track(eventType: EventType, data: { ecom?: Ecom; props?: Props } = {}): void {
  if (!options || !allowed) return;
  const now = Date.now();
  const event: ClientEvent = {
    event_id: uuid(now),
    ts: iso(now),
    event_type: eventType,
    session_id: sessionId(now),
    anonymous_id: anonymousId(),
    page_url: scrub(location.href).slice(0, 4096),
    device: { type: deviceType() },
  };
  const userId = user === undefined ? read(USER_KEY) : user;
  if (userId) event.user_id = userId;
  if (document.referrer) event.referrer = scrub(document.referrer).slice(0, 4096);
  if (document.title) event.page_title = scrub(document.title).slice(0, 1024);
  if (data.ecom) {
    const ecom: Record<string, unknown> = {};
    ECOM_FIELDS.map((name) => {
      const value = (data.ecom as Record<string, unknown>)[name];
      if (value != null) ecom[name] = value;
    });
    event.ecom = ecom;
  }
  if (data.props) {
    const props: Props = {};
    for (const name in data.props) {
      const value = data.props[name];
      props[name] = typeof value == 'string' ? scrub(value) : value;
    }
    event.props = props;
  }
  buffer.push(event);
  if (buffer.length >= (options.batchSize || 10)) flush();
  else timer ||= setTimeout(flush, options.flushInterval || 5000);
}

/** A page view. */
export const page = (props?: Props) => track('view', { props });

/** A listing page's view (home, category, search results) with the product ids shown. */
export const listView = (list: string, items: string[], props?: Props) =>
  track('view', { props: { ...props, list, items } });

export const productClick = (product: Product, list: string) =>
  track('click', { ecom: product, props: { list } });

/** A product detail page's view. */
export const productView = (product: Product) => track('view', { ecom: product });

export const search = (query: string, resultsCount: number) =>
  track('search', { props: { search_query: query, results_count: resultsCount } });

export const addToCart = (product: Product, qty = 1) =>
  track('add_to_cart', { ecom: { ...product, qty } });

export const removeFromCart = (product: Product, qty = 1) =>
  track('remove_from_cart', { ecom: { ...product, qty } });

/** The visitor started checkout of an order; `items` are the product ids in the cart. */
export const checkout = (orderId: string, items?: string[]) =>
  track('checkout', { ecom: { order_id: orderId }, props: items && { items } });

/** A completed order: one `purchase` event per line item, all sharing `order_id`. */
export function purchase(orderId: string, lines: Product[]): void {
  lines.map((line) => track('purchase', { ecom: { ...line, qty: line.qty || 1, order_id: orderId } }));
}
