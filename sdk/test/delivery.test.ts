import { describe, expect, it, vi } from 'vitest';
import {
  advance,
  beacons,
  events,
  idle,
  loadSdk,
  network,
  queued,
  reply,
  requests,
} from './harness';

const networkError = () => new TypeError('Failed to fetch');

describe('retries', () => {
  it('backs off exponentially with full jitter, capped, then parks the batch', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    reply(...Array.from({ length: 7 }, networkError));
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    // Attempt n+1 waits random * min(30 s, 1 s * 2^n): 0.5, 1, 2, 4, 8, 15 (capped) seconds.
    const expectedGaps = [500, 1000, 2000, 4000, 8000, 15000];
    for (const gap of expectedGaps) {
      const before = requests.length;
      await advance(gap - 1);
      expect(requests).toHaveLength(before);
      await advance(1);
      expect(requests).toHaveLength(before + 1);
    }
    const start = requests[0].at;
    expect(requests.map((request) => request.at - start)).toEqual([
      0, 500, 1500, 3500, 7500, 15500, 30500,
    ]);
    await advance(120000);
    expect(requests).toHaveLength(7);
    const parked = await queued();
    expect(parked.map((event) => event.event_id)).toEqual([requests[0].events[0].event_id]);
  });

  it('draws each wait uniformly between zero and the exponential bound', async () => {
    const draws = [0, 0.999];
    vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0);
    reply(503, 503);
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(3000);
    expect(requests).toHaveLength(3);
    const [first, second, third] = requests.map((request) => request.at);
    // random 0: the first retry goes at once (a fake timer's zero delay is at most 1 ms);
    // random 0.999 of the second bound, 2 s.
    expect(second - first).toBeLessThanOrEqual(1);
    expect(third - second).toBe(1998);
  });

  it.each([500, 502, 503, 429])('retries a %i answer until it is accepted', async (status) => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    reply(status, status);
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    // A zero delay set while timers run fires one fake millisecond later.
    for (let i = 0; i < 10; i++) await advance(1);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((request) => request.events[0].event_id)).size).toBe(1);
    expect(await queued()).toEqual([]);
  });

  it.each([400, 401, 403, 413, 415])('does not retry a %i answer', async (status) => {
    reply(status);
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(120000);
    expect(requests).toHaveLength(1);
    expect(await queued()).toEqual([]);
  });

  it('parks a batch waiting for its retry when the page goes away, and sends it once', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    reply(503);
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(requests).toHaveLength(1);
    window.dispatchEvent(new Event('pagehide'));
    await advance(0);
    const waitingId = requests[0].events[0].event_id;
    expect((await queued()).map((event) => event.event_id)).toEqual([waitingId]);
    await advance(60000);
    expect(requests).toHaveLength(1); // the dead page's retry timer does not send it too

    await loadSdk(); // the next page sends the queue
    expect(requests.map((request) => request.events[0].event_id)).toEqual([waitingId, waitingId]);
    expect(await queued()).toEqual([]);
  });

  it('stamps sent_at afresh on every attempt', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    reply(503);
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(500);
    const [first, second] = requests.map((request) => request.events[0]);
    expect(first.ts).toBe(second.ts);
    expect(Date.parse(second.sent_at) - Date.parse(first.sent_at)).toBe(500);
  });
});

describe('offline queue', () => {
  it('holds events in IndexedDB while offline and sends them once on online', async () => {
    const sdk = await loadSdk({ batchSize: 4 });
    network.online = false;
    for (let i = 0; i < 10; i++) sdk.track('click', { props: { n: i } });
    sdk.flush();
    await advance(60000);
    expect(requests).toHaveLength(0);
    expect((await queued()).map((event) => event.props.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    network.online = true;
    window.dispatchEvent(new Event('online'));
    await advance(0);
    expect(requests.map((request) => request.events.length)).toEqual([4, 4, 2]);
    expect(events().map((event) => event.props.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await queued()).toEqual([]);

    window.dispatchEvent(new Event('online'));
    await advance(60000);
    expect(requests).toHaveLength(3);
  });

  it('parks the beacon batch too when the page is left offline', async () => {
    const sdk = await loadSdk();
    network.online = false;
    sdk.page();
    window.dispatchEvent(new Event('pagehide'));
    await advance(0);
    expect(beacons).toHaveLength(0);
    expect(await queued()).toHaveLength(1);
  });

  it('sends what an earlier page left in the queue when the next page starts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    reply(...Array.from({ length: 7 }, () => 503));
    let sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    for (let i = 0; i < 20; i++) await advance(1);
    expect(requests).toHaveLength(7);
    expect(await queued()).toHaveLength(1);
    const parkedId = requests[0].events[0].event_id;

    sdk = await loadSdk();
    await idle();
    expect(requests).toHaveLength(8);
    expect(requests[7].events.map((event) => event.event_id)).toEqual([parkedId]);
    expect(await queued()).toEqual([]);
  });

  it('sends parked events after the next successful request', async () => {
    const sdk = await loadSdk();
    network.online = false;
    sdk.track('click');
    sdk.flush();
    await advance(0);
    network.online = true; // back, but the online event was missed
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(requests.map((request) => request.events[0].event_type)).toEqual(['view', 'click']);
    expect(await queued()).toEqual([]);
  });

  it('is bounded: events beyond maxQueue are dropped and counted', async () => {
    const sdk = await loadSdk({ maxQueue: 5, batchSize: 2 });
    network.online = false;
    for (let i = 0; i < 8; i++) sdk.track('click', { props: { n: i } });
    sdk.flush();
    await advance(0);
    expect((await queued()).map((event) => event.props.n)).toEqual([0, 1, 2, 3, 4]);
    expect(sdk.overflowCount()).toBe(3);
    sdk.track('click');
    sdk.flush();
    await advance(0);
    expect(sdk.overflowCount()).toBe(4);
  });

  it('counts events as dropped when IndexedDB is unavailable', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const sdk = await loadSdk();
    network.online = false;
    sdk.page();
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(sdk.overflowCount()).toBe(2);
  });
});
