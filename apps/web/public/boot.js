// @ts-check
/**
 * The dashboard's first script: plain JavaScript served as is (not bundled), run from <head>
 * before the app's bundle is even downloaded. It asks the server for the session and, when the
 * dashboard opens on the overview, for the overview's figures, so both answers are on their way
 * while the app loads and boots (most of a cold start). The app takes them over once each
 * (src/lib/boot.ts); anything it does not take, or that failed, it asks for again the usual way.
 */
(() => {
  /** @type {import('../src/lib/bootState').BootState} */
  const state = { session: fetch('/api/auth/session', { credentials: 'same-origin' }) };
  if (window.location.pathname === '/') {
    // The overview's reads, as src/pages/Overview.tsx asks for them (its test checks they agree).
    const calls = [
      { path: 'analytics.summary', input: { period: 'monthly', groupBy: 'day' } },
      { path: 'analytics.forecast', input: { period: 'monthly' } },
      { path: 'analytics.anomalies', input: { hours: 24 } },
      { path: 'alerts.list', input: { read: false, limit: 1 } },
    ];
    /** @type {Record<string, { json: unknown }>} */
    const input = {};
    calls.forEach((c, i) => {
      input[String(i)] = { json: c.input };
    });
    const url =
      `/trpc/${calls.map((c) => c.path).join(',')}` +
      `?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
    state.batch = { calls, response: fetch(url, { credentials: 'same-origin' }) };
  }
  window.__reinsBoot = state;
})();
