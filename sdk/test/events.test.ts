import { describe, expect, it } from 'vitest';
import { check } from './schema';
import { vi } from 'vitest';
import { advance, ENDPOINT, events, loadSdk, requests } from './harness';

const LAPTOP = {
  product_id: 'lap-001',
  product_name: 'Aero 14 Laptop',
  category: 'laptops',
  brand: 'Aero',
  currency: 'USD',
  price: 1299.5,
};
const MOUSE = { product_id: 'mou-002', product_name: 'Glide Mouse', category: 'mice', price: 25 };
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// The time in a version-7 UUID: its first 48 bits, in milliseconds since the epoch.
const uuidTime = (id: string) => new Date(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toISOString();

describe('event payload', () => {
  it('sends a page view with every contract field, sent_at stamped at send time', async () => {
    document.title = 'Aero 14 Laptop | Byte Shop';
    const sdk = await loadSdk();
    sdk.page();
    await advance(5000);

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request.url).toBe(ENDPOINT);
    expect(request.keepalive).toBe(true);
    expect(request.headers['content-type']).toBe('text/plain');
    expect(request.headers).not.toHaveProperty('x-api-key');
    expect(request.headers).not.toHaveProperty('authorization');

    const [event] = request.events;
    expect(Object.keys(event).sort()).toEqual(
      [
        'anonymous_id',
        'device',
        'event_id',
        'event_type',
        'page_title',
        'page_url',
        'sent_at',
        'session_id',
        'ts',
      ].sort(),
    );
    expect(event.event_id).toMatch(UUID_V7);
    expect(uuidTime(event.event_id)).toBe(event.ts);
    expect(uuidTime(event.session_id)).toBe(event.ts);
    expect(event.event_type).toBe('view');
    expect(event.ts).toBe('2026-03-01T10:00:00.000Z');
    expect(event.sent_at).toBe('2026-03-01T10:00:05.000Z');
    expect(event.page_url).toBe('https://shop.example/products/p-1?ref=home');
    expect(event.page_title).toBe('Aero 14 Laptop | Byte Shop');
    expect(event.device).toEqual({ type: 'desktop' });
    expect(check(event)).toEqual([]);
  });

  it('produces contract-valid events from every helper', async () => {
    const sdk = await loadSdk({ batchSize: 100 });
    sdk.listView('home', ['lap-001', 'mou-002']);
    sdk.productClick(LAPTOP, 'home');
    sdk.productView(LAPTOP);
    sdk.search('gaming laptop', 3);
    sdk.addToCart(LAPTOP, 2);
    sdk.removeFromCart(LAPTOP);
    sdk.checkout('ord-42', ['lap-001', 'mou-002']);
    sdk.purchase('ord-42', [{ ...LAPTOP, qty: 1 }, MOUSE]);
    sdk.track('click', { props: { element: 'newsletter' } });
    sdk.flush();
    await advance(0);

    const sent = events();
    expect(sent.map((event) => event.event_type)).toEqual([
      'view',
      'click',
      'view',
      'search',
      'add_to_cart',
      'remove_from_cart',
      'checkout',
      'purchase',
      'purchase',
      'click',
    ]);
    for (const event of sent) expect(check(event)).toEqual([]);
    expect(sent[0].props).toEqual({ list: 'home', items: ['lap-001', 'mou-002'] });
    expect(sent[1]).toMatchObject({ ecom: LAPTOP, props: { list: 'home' } });
    expect(sent[2].ecom).toEqual(LAPTOP);
    expect(sent[3].props).toEqual({ search_query: 'gaming laptop', results_count: 3 });
    expect(sent[4].ecom).toEqual({ ...LAPTOP, qty: 2 });
    expect(sent[5].ecom).toEqual({ ...LAPTOP, qty: 1 });
    expect(sent[6]).toMatchObject({
      ecom: { order_id: 'ord-42' },
      props: { items: ['lap-001', 'mou-002'] },
    });
    // One purchase per line item, sharing the order id; qty defaults to 1.
    expect(sent[7].ecom).toEqual({ ...LAPTOP, qty: 1, order_id: 'ord-42' });
    expect(sent[8].ecom).toEqual({ ...MOUSE, qty: 1, order_id: 'ord-42' });
    expect(new Set(sent.map((event) => event.event_id)).size).toBe(sent.length);
  });

  it('keeps only contract fields in ecom, so a stray field cannot get the event rejected', async () => {
    const sdk = await loadSdk();
    sdk.productView({ ...LAPTOP, sku_internal: 'X', price: undefined } as never);
    sdk.flush();
    await advance(0);
    const { price: _, ...withoutPrice } = LAPTOP;
    expect(events()[0].ecom).toEqual(withoutPrice);
  });

  it('removes e-mail addresses from the URL, referrer, title and props', async () => {
    history.replaceState(null, '', '/account?email=jane.doe%40mail.example&tab=1');
    document.title = 'Orders of jane@mail.example';
    const sdk = await loadSdk();
    sdk.search('jane.doe@mail.example laptop', 0);
    sdk.flush();
    await advance(0);
    const [event] = events();
    expect(event.page_url).toBe('https://shop.example/account?email=&tab=1');
    expect(event.page_title).toBe('Orders of ');
    expect(event.props.search_query).toBe(' laptop');
    expect(JSON.stringify(event)).not.toMatch(/jane|@|%40/);
    history.replaceState(null, '', '/products/p-1?ref=home');
  });

  it('adds user_id after identify, keeps it across pages, and drops it on identify()', async () => {
    let sdk = await loadSdk();
    sdk.page();
    sdk.identify('customer-7');
    sdk.page();
    sdk.flush();
    sdk = await loadSdk();
    sdk.page();
    sdk.identify();
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(events().map((event) => event.user_id)).toEqual([
      undefined,
      'customer-7',
      'customer-7',
      undefined,
    ]);
  });

  it('sends the write key as x-api-key and the id token as a bearer token', async () => {
    const sdk = await loadSdk({ writeKey: 'wk_live_1', getIdToken: async () => 'jwt.token.sig' });
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(requests[0].headers).toMatchObject({
      'x-api-key': 'wk_live_1',
      authorization: 'Bearer jwt.token.sig',
    });
  });

  it('detects phones and tablets from the user agent', async () => {
    const agents: [string, string][] = [
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148', 'mobile'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile Safari/537.36', 'mobile'],
      ['Mozilla/5.0 (Linux; Android 13; SM-X700) Chrome/120 Safari/537.36', 'tablet'],
      ['Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)', 'tablet'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120 Safari/537.36', 'desktop'],
    ];
    const sdk = await loadSdk({ batchSize: 100 });
    for (const [agent] of agents) {
      Object.defineProperty(navigator, 'userAgent', { configurable: true, value: agent });
      sdk.page();
    }
    delete (navigator as unknown as Record<string, unknown>).userAgent;
    sdk.flush();
    await advance(0);
    expect(events().map((event) => event.device.type)).toEqual(agents.map(([, type]) => type));
  });

  it('makes time-ordered v7 UUIDs with crypto.getRandomValues alone (insecure contexts too)', async () => {
    const sdk = await loadSdk({ batchSize: 100 });
    const randomUUID = crypto.randomUUID;
    Object.defineProperty(crypto, 'randomUUID', { configurable: true, value: undefined });
    try {
      localStorage.clear();
      for (let i = 0; i < 50; i++) {
        sdk.page();
        await advance(7);
      }
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { configurable: true, value: randomUUID });
    }
    sdk.flush();
    await advance(0);
    const sent = events();
    const ids = sent.flatMap((event) => [event.event_id, event.anonymous_id, event.session_id]);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    for (const event of sent) expect(uuidTime(event.event_id)).toBe(event.ts);
    const eventIds = sent.map((event) => event.event_id);
    expect(new Set(eventIds).size).toBe(50);
    expect([...eventIds].sort()).toEqual(eventIds);
    const variants = new Set(eventIds.map((id) => id[19]));
    expect(variants.size).toBeGreaterThan(1);
  });

  it('records nothing before init', async () => {
    vi.resetModules();
    const sdk = await import('../src/index');
    sdk.page();
    sdk.flush();
    await advance(10000);
    expect(requests).toHaveLength(0);
    expect(localStorage.length).toBe(0);
  });
});
