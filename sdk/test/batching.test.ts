import { describe, expect, it } from 'vitest';
import { advance, beacons, ENDPOINT, events, loadSdk, network, requests } from './harness';

describe('batching', () => {
  it('sends a full batch at once and the rest after the flush interval', async () => {
    const sdk = await loadSdk({ batchSize: 3, flushInterval: 2000 });
    for (let i = 0; i < 4; i++) sdk.track('click', { props: { n: i } });
    await advance(0);
    expect(requests.map((request) => request.events.length)).toEqual([3]);
    await advance(1999);
    expect(requests).toHaveLength(1);
    await advance(1);
    expect(requests.map((request) => request.events.length)).toEqual([3, 1]);
    expect(events().map((event) => event.props.n)).toEqual([0, 1, 2, 3]);
  });

  it('uses the defaults: 10 events or 5 seconds', async () => {
    const sdk = await loadSdk();
    for (let i = 0; i < 9; i++) sdk.page();
    await advance(4999);
    expect(requests).toHaveLength(0);
    sdk.page();
    await advance(0);
    expect(requests.map((request) => request.events.length)).toEqual([10]);
    sdk.page();
    await advance(5000);
    expect(requests.map((request) => request.events.length)).toEqual([10, 1]);
  });

  it('sends nothing when there is nothing to send', async () => {
    const sdk = await loadSdk();
    sdk.flush();
    window.dispatchEvent(new Event('pagehide'));
    await advance(60000);
    expect(requests).toHaveLength(0);
    expect(beacons).toHaveLength(0);
  });
});

describe('leaving the page', () => {
  it('sends the buffer with sendBeacon on pagehide', async () => {
    const sdk = await loadSdk();
    sdk.page();
    sdk.addToCart({ product_id: 'lap-001' });
    window.dispatchEvent(new Event('pagehide'));
    await advance(10000);
    expect(requests).toHaveLength(0);
    expect(beacons).toHaveLength(1);
    expect(beacons[0].url).toBe(ENDPOINT);
    expect(beacons[0].events.map((event) => event.event_type)).toEqual(['view', 'add_to_cart']);
    expect(beacons[0].events[0].sent_at).toBeDefined();
  });

  it('sends the buffer with sendBeacon when the page becomes hidden', async () => {
    const sdk = await loadSdk();
    sdk.page();
    Object.defineProperty(document, 'visibilityState', { configurable: true, value: 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    delete (document as unknown as Record<string, unknown>).visibilityState;
    await advance(0);
    expect(beacons).toHaveLength(1);
  });

  it('ignores visibilitychange to visible', async () => {
    const sdk = await loadSdk();
    sdk.page();
    document.dispatchEvent(new Event('visibilitychange'));
    await advance(0);
    expect(beacons).toHaveLength(0);
  });

  it('puts the write key in the beacon URL, since a beacon cannot set headers', async () => {
    const sdk = await loadSdk({ endpoint: `${ENDPOINT}?v=1`, writeKey: 'wk live/1' });
    sdk.page();
    window.dispatchEvent(new Event('pagehide'));
    await advance(0);
    expect(beacons[0].url).toBe(`${ENDPOINT}?v=1&writeKey=wk%20live%2F1`);
  });

  it('falls back to fetch with keepalive when the beacon is refused', async () => {
    network.beaconAccepts = false;
    const sdk = await loadSdk();
    sdk.page();
    window.dispatchEvent(new Event('pagehide'));
    await advance(0);
    expect(requests).toHaveLength(1);
    expect(requests[0].keepalive).toBe(true);
  });
});
