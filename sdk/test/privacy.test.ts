import { describe, expect, it } from 'vitest';
import {
  advance,
  beacons,
  databaseNames,
  loadSdk,
  network,
  privacy,
  queued,
  reply,
  requests,
} from './harness';

async function everythingTheSdkCanDo(sdk: Awaited<ReturnType<typeof loadSdk>>) {
  sdk.identify('customer-7');
  sdk.page();
  sdk.productView({ product_id: 'lap-001' });
  sdk.purchase('ord-1', [{ product_id: 'lap-001', price: 10 }]);
  sdk.flush();
  sdk.page();
  window.dispatchEvent(new Event('pagehide'));
  window.dispatchEvent(new Event('online'));
  await advance(60000);
}

describe('consent', () => {
  it('records and stores nothing while consent is required and not given', async () => {
    const sdk = await loadSdk({ consent: false });
    await everythingTheSdkCanDo(sdk);
    expect(requests).toHaveLength(0);
    expect(beacons).toHaveLength(0);
    expect(localStorage.length).toBe(0);
    expect(document.cookie).toBe('');
    expect(await databaseNames()).toEqual([]);
  });

  it('starts recording once consent is given', async () => {
    const sdk = await loadSdk({ consent: false });
    sdk.page();
    sdk.consent(true);
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(requests).toHaveLength(1);
    expect(requests[0].events).toHaveLength(1);
    expect(localStorage.getItem('cs_aid')).toBe(requests[0].events[0].anonymous_id);
  });

  it('on withdrawal also drops batches waiting for a retry', async () => {
    reply(503);
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    sdk.consent(false);
    await advance(120000);
    expect(requests).toHaveLength(1);
  });

  it('on withdrawal drops the buffer and deletes identifiers and the offline queue', async () => {
    const sdk = await loadSdk();
    sdk.identify('customer-7');
    network.online = false;
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(await queued()).toHaveLength(1);
    sdk.page();
    sdk.consent(false);
    await advance(60000);
    expect(localStorage.length).toBe(0);
    expect(await databaseNames()).toEqual([]);
    network.online = true;
    window.dispatchEvent(new Event('online'));
    sdk.page();
    sdk.flush();
    await advance(60000);
    expect(requests).toHaveLength(0);
    expect(beacons).toHaveLength(0);
  });
});

describe('privacy signals', () => {
  it('honours Do-Not-Track: no events, no storage', async () => {
    privacy.doNotTrack = '1';
    const sdk = await loadSdk();
    await everythingTheSdkCanDo(sdk);
    expect(requests).toHaveLength(0);
    expect(beacons).toHaveLength(0);
    expect(localStorage.length).toBe(0);
    expect(await databaseNames()).toEqual([]);
  });

  it('honours Global Privacy Control, even when consent is granted', async () => {
    privacy.globalPrivacyControl = true;
    const sdk = await loadSdk({ consent: true });
    sdk.consent(true);
    await everythingTheSdkCanDo(sdk);
    expect(requests).toHaveLength(0);
    expect(localStorage.length).toBe(0);
  });

  it('records normally when Do-Not-Track is unset or 0', async () => {
    privacy.doNotTrack = '0';
    const sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    expect(requests).toHaveLength(1);
  });
});
