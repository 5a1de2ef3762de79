import { describe, expect, it, vi } from 'vitest';
import { advance, events, loadSdk } from './harness';

const MINUTE = 60 * 1000;

describe('identifiers', () => {
  it('keeps the anonymous id across page loads', async () => {
    let sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    const [first, second] = events();
    expect(first.anonymous_id).toBe(second.anonymous_id);
    expect(localStorage.getItem('cs_aid')).toBe(first.anonymous_id);
  });

  it('falls back to a first-party cookie when localStorage throws', async () => {
    const broken = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      removeItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    vi.stubGlobal('localStorage', broken);
    let sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    const [first, second] = events();
    expect(document.cookie).toContain(`cs_aid=${first.anonymous_id}`);
    expect(second.anonymous_id).toBe(first.anonymous_id);
    expect(second.session_id).toBe(first.session_id);
    document.cookie = 'cs_aid=;max-age=0;path=/';
    document.cookie = 'cs_sid=;max-age=0;path=/';
  });
});

describe('session rollover', () => {
  it('keeps the session while events come less than 30 minutes apart', async () => {
    const sdk = await loadSdk({ batchSize: 100 });
    sdk.page();
    await advance(29 * MINUTE);
    sdk.page();
    await advance(29 * MINUTE);
    sdk.page();
    sdk.flush();
    await advance(0);
    const sessions = events().map((event) => event.session_id);
    expect(new Set(sessions).size).toBe(1);
  });

  it('starts a new session after 30 minutes without events, also across page loads', async () => {
    let sdk = await loadSdk({ batchSize: 100 });
    sdk.page();
    await advance(30 * MINUTE + 1);
    sdk.page();
    sdk.flush();
    await advance(10 * MINUTE);
    sdk = await loadSdk();
    sdk.page();
    sdk.flush();
    await advance(0);
    const [first, second, third] = events();
    expect(second.session_id).not.toBe(first.session_id);
    expect(third.session_id).toBe(second.session_id);
    expect(third.anonymous_id).toBe(first.anonymous_id);
  });

  it('rolls exactly at 30 minutes of inactivity', async () => {
    const sdk = await loadSdk({ batchSize: 100 });
    sdk.page();
    await advance(30 * MINUTE - 1);
    sdk.page();
    await advance(30 * MINUTE);
    sdk.page();
    sdk.flush();
    await advance(0);
    const [first, second, third] = events().map((event) => event.session_id);
    expect(second).toBe(first);
    expect(third).not.toBe(second);
  });
});
