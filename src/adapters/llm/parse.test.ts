import { describe, expect, it } from 'vitest';
import { LlmAnswerError, parseAnswer } from './parse.js';

const NAMES = ['refund', 'billing', 'Lost_Card'];
const ok = (content: string, mode: 'json_schema' | 'json_object' | 'none' = 'json_schema') => parseAnswer(content, NAMES, mode);
const bad = (content: string, mode: 'json_schema' | 'json_object' | 'none' = 'json_schema') => () => parseAnswer(content, NAMES, mode);

describe('parseAnswer', () => {
  it('accepts exactly one known intent, or none as null', () => {
    expect(ok('{"intent":"refund"}')).toBe('refund');
    expect(ok('  {"intent" : "billing", "reason": "charged twice"}\n')).toBe('billing');
    expect(ok('{"intent":"none"}')).toBeNull();
    expect(ok('{"intent":" NONE "}')).toBeNull();
    expect(ok('{"intent":"lost_card"}')).toBe('Lost_Card'); // case forgiven, canonical name returned
    expect(ok('```json\n{"intent":"refund"}\n```', 'json_object')).toBe('refund');
    expect(ok('{"int\\u0065nt":"refund"}')).toBe('refund');
  });

  it('plain-text mode reads the one JSON object in the text', () => {
    expect(ok('Sure! The answer is {"intent": "refund"} because the customer wants money.', 'none')).toBe('refund');
    expect(ok('Here: {"intent": "billing", "why": "a } and a \\" in a string"} done', 'none')).toBe('billing');
  });

  it.each([
    ['', /empty/],
    ['refund', /no JSON object/],
    ['{"intent": "refund"', /malformed JSON/],
    ['{"intent": refund}', /malformed JSON/],
    ['{"intent":"refund"} {"intent":"billing"}', /2 JSON objects/],
    ['{"intent":"refund","intent":"billing"}', /2 "intent" fields/],
    ['{"intent":"refund","int\\u0065nt":"billing"}', /2 "intent" fields/],
    ['{"intent":["refund","billing"]}', /holds 2 values/],
    ['{"intent":{"name":"refund"}}', /not a string/],
    ['{"intent":"refund, billing"}', /neither one of the 3 intents/],
    ['{"intent":"refund\\nbilling"}', /neither one of the 3 intents/],
    ['{"label":"refund"}', /no "intent" field/],
    ['{"answer":{"intent":"refund"}}', /no "intent" field/],
    ['["refund"]', /no JSON object/],
    ['Answer: {"intent":"refund"}', /text outside the JSON object/],
  ])('rejects %j', (content, why) => {
    expect(bad(content)).toThrow(why);
    expect(bad(content)).toThrow(LlmAnswerError);
  });

  it('plain-text mode still rejects smuggled second labels', () => {
    expect(bad('{"intent":"refund"} or maybe {"intent":"billing"}', 'none')).toThrow(/2 JSON objects/);
    expect(bad('I think {"intent":"hacked"}', 'none')).toThrow(/a string of 6 chars, which is neither/);
  });

  it('errors are unavailable and carry the usage', () => {
    const usage = { promptTokens: 10, completionTokens: 2, costUsd: 0.1 };
    try {
      parseAnswer('nope', NAMES, 'json_schema', { usage, model: 'm' });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'unavailable', usage, model: 'm' });
    }
  });
});

describe('an LLM answer naming an intent the model lacks', () => {
  it('is an unusable answer that says which label it named', () => {
    let err: unknown;
    try {
      parseAnswer('{"intent": "change_pin"}', ['card_lost', 'refund'], 'json_schema', { model: 'm' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LlmAnswerError);
    expect((err as LlmAnswerError).offList).toBe('change_pin');
    expect((err as LlmAnswerError).message).toMatch(/neither one of the 2 intents/);
    // other unusable answers carry none
    try {
      parseAnswer('not json', ['card_lost'], 'json_schema');
    } catch (e) {
      expect((e as LlmAnswerError).offList).toBeUndefined();
    }
    expect(parseAnswer('{"intent": "none"}', ['card_lost'], 'json_schema')).toBeNull();
  });
});
