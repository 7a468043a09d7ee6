import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe } from 'vitest';
import { createEmbedder, fitEmbedder, restoreEmbedder, type EmbedderOptions } from '../../src/adapters/embedders/index.js';
import { startEmbeddingsServer, type FakeEmbeddingsServer } from '../fakes/embeddings-server.js';
import { runEmbedderContract } from './embedder.contract.js';

// Every backend of src/adapters/embedders, and the two wrappers (combined, disk cache).
const CORPUS = ['I lost my card', 'my card was stolen', 'where is my parcel', 'the parcel is late', 'I was charged twice', 'refund my order please', 'how do I log in'];
const ONNX_DIR = resolve(import.meta.dirname, '../../../shared/models/all-MiniLM-L6-v2-q4');
const HAVE_ONNX = existsSync(join(ONNX_DIR, 'onnx', 'model_q4.onnx'));

/** An embedder made from a spec (as training makes it), fitted on a small corpus, restored as a bundle load does. */
function harness(spec: string, options: () => EmbedderOptions, extra: { cacheDir?: () => string; close?: () => Promise<void> } = {}) {
  return {
    open: async () => {
      const e = await createEmbedder(spec, options(), extra.cacheDir?.());
      await fitEmbedder(e, CORPUS);
      return e;
    },
    restore: (state: Parameters<typeof restoreEmbedder>[0]) => restoreEmbedder(state, options()),
    close: extra.close,
  };
}

runEmbedderContract('hashed', harness('hashed', () => ({})));

describe.skipIf(!HAVE_ONNX)('onnx (needs ../shared/models/all-MiniLM-L6-v2-q4)', () => {
  runEmbedderContract('onnx (all-MiniLM-L6-v2-q4)', harness('onnx', () => ({ onnx: { modelDir: ONNX_DIR } })));
  runEmbedderContract('hashed+onnx (combined)', harness('hashed+onnx', () => ({ onnx: { modelDir: ONNX_DIR } })));
});

describe('openai (a local server speaking the embeddings wire format)', () => {
  let server: FakeEmbeddingsServer | undefined;
  const options = (): EmbedderOptions => ({ openai: { baseUrl: server!.baseUrl, apiKey: 'sk-test-0123456789abcdef', model: 'text-embedding-3-small', dimensions: 16 } });
  const start = async () => {
    server ??= await startEmbeddingsServer({ apiKey: 'sk-test-0123456789abcdef' });
  };
  const stop = async () => {
    await server?.close();
    server = undefined;
  };
  runEmbedderContract('openai', {
    open: async () => (await start(), harness('openai', options).open()),
    restore: (state) => restoreEmbedder(state, options()),
    close: stop,
  });
  let cacheDir = '';
  runEmbedderContract('openai behind the disk cache', {
    open: async () => {
      await start();
      cacheDir = mkdtempSync(join(tmpdir(), 'intentops-embed-cache-'));
      return harness('openai', options, { cacheDir: () => cacheDir }).open();
    },
    restore: (state) => restoreEmbedder(state, options()),
    close: async () => {
      await stop();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  });
});
