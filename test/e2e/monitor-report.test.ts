import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/sample.js';
import { CONFIDENT, sampleModel, testServing, UNSURE } from '../helpers/serving.js';
import { runCliCaptured as cli } from '../helpers/capture.js';

/*
 * `intentops monitor report` over what a real server logged: traffic through the HTTP API goes
 * to the SQLite prediction log; the report, run later from the CLI, reads it back and prints the
 * same window figures the live monitor shows at /v1/monitor.
 */


describe('intentops monitor report', () => {
  it('reads what the server logged and reports the window the live monitor saw', { timeout: 120_000 }, async () => {
    const events = `sqlite:${join(tempDir('intentops-monitor-e2e-'), 'intentops.db')}`;
    const model = await sampleModel();
    const s = await testServing({ modelDir: model, flags: { events: { uri: events }, monitor: { sampleRate: 1, minSamples: 10 } } });
    const texts = [CONFIDENT, UNSURE, 'I want my money back', 'my login does not work', 'Meine Bezahlung schlägt fehl'];
    for (let i = 0; i < 60; i++) expect((await s.post('/v1/classify', { text: `${texts[i % texts.length]} ${i}` })).status).toBe(200);
    // the embedding-based figures are computed off the request path: wait until all 60 are in
    let live: { figures: Record<string, any> } = { figures: {} };
    await vi.waitFor(
      async () => {
        live = await (await s.get('/v1/monitor')).json();
        expect(live.figures.window.sampled).toBe(60);
      },
      { timeout: 20_000, interval: 50 },
    );
    await s.close(); // flushes the recorder
    expect(live.figures.window.samples).toBe(60);

    const r = await cli(['monitor', 'report', '--model', model, '--log', events, '--since', '1h', '--json'], {});
    expect(r.stderr).toBe('');
    expect([0, 6]).toContain(r.code); // 6 only when an alert at severity "alert" fired
    const report = JSON.parse(r.stdout);
    expect(report.records.used).toBe(60);
    expect(report.figures.routes).toEqual(live.figures.routes);
    expect(report.figures.labels.psi).toBeCloseTo(live.figures.labels.psi, 9);
    expect(report.figures.confidence.psi).toBeCloseTo(live.figures.confidence.psi, 9);
    expect(report.figures.oov.share).toBeCloseTo(live.figures.oov.share, 9);
    expect(r.code).toBe(report.alerts.some((a: { severity: string }) => a.severity === 'alert') ? 6 : 0);

    const text = await cli(['monitor', 'report', '--model', model, '--log', events, '--since', '1h'], {});
    expect(text.stdout).toMatch(/label PSI/i);
    const bad = await cli(['monitor', 'report', '--model', model, '--log', events, '--since', 'yesterday-ish'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/since/);
  });
});
