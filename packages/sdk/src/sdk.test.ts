import { describe, expect, it } from 'vitest';
import { ReinsSDK as LocalSDK } from './local.js';
import { ReinsSDK } from './sdk.js';

/** A Reins that answers nothing the test does not expect: every request fails the test. */
const noFetch: typeof fetch = () => Promise.reject(new Error('no request expected'));

describe("ReinsSDK's modes", () => {
  it("the root entry's ReinsSDK refuses mode: 'local' and names reins-sdk/local", () => {
    expect(() => new ReinsSDK({ apiKey: 'rk_test_x', mode: 'local', fetch: noFetch })).toThrow(
      "mode: 'local' decides in-process with the policy engine and the price table, which the " +
        "root entry leaves out to stay dependency-free and small: import { ReinsSDK } from 'reins-sdk/local'",
    );
  });

  it("reins-sdk/local's ReinsSDK is the root's, and takes both modes", async () => {
    const local = new LocalSDK({ apiKey: 'rk_test_x', mode: 'local', fetch: noFetch });
    const remote = new LocalSDK({ apiKey: 'rk_test_x', fetch: noFetch });
    expect(local).toBeInstanceOf(ReinsSDK);
    // Remote mode has no local state to read or decide with.
    await expect(remote.sync()).rejects.toThrow('sync() is for mode: "local"');
    expect(() => local.evaluateLocally({ vendor: 'openai', amount: 1 })).toThrow(
      'evaluateLocally() needs mode: "local" and a first sync()',
    );
    expect(await local.close()).toMatchObject({ pending: 0, failedOpen: 0 });
    await remote.close();
  });
});
