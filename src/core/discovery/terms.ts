/**
 * Distinctive terms of a group of messages against all of them: class-based TF-IDF (as in
 * BERTopic's c-TF-IDF), for naming a discovered cluster without an LLM. Pure.
 */

// Function words and support-chat filler in the languages of the sample data (English, German):
// they are common in every cluster and name none.
const STOPWORDS = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by can cannot could did do does doing done down during each few for from further get got had has have having he her here hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than that the their them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours hi hello hey please thanks thank thx ok okay dear regards anyone still yet want like need know would could let lets im ive dont cant wont didnt doesnt isnt youre thats whats there theres one two way use using make made much many well really able ' +
    'der die das den dem des ein eine einer einen einem eines und oder aber ich du er sie es wir ihr mich mir dich dir uns euch mein meine meinen meinem meiner dein deine sein seine ist sind war waren bin bist hat habe haben hatte kann können könnt muss müssen soll sollte wird werden wurde nicht kein keine keinen noch schon auch nur mit von zu zum zur auf aus bei nach für über unter vor im in an am als wie was wo wer warum wann ob dass wenn dann so da hier jetzt bitte danke hallo guten tag gibt geht man mal doch ja nein sehr'
  ).split(/\s+/),
);

/** Lower-cased word tokens of 3+ letters (digits-only tokens and stop words dropped). */
export function tokens(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['\u2019\u02bc]/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length >= 3 && !/^\p{N}+$/u.test(t) && !STOPWORDS.has(t));
}

export interface TermScore {
  readonly term: string;
  readonly score: number;
  /** Members of the group containing the term. */
  readonly docs: number;
}

/**
 * The terms of each group ranked by c-TF-IDF: (share of the group's documents containing the
 * term) × log(1 + all documents / documents containing it anywhere). Terms must occur in at
 * least two members of a group of two or more (one message's peculiarity names nothing).
 * `groups` are index lists into `docs`; documents outside every group count for the IDF.
 */
export function distinctiveTerms(docs: readonly string[], groups: readonly (readonly number[])[], top = 10): TermScore[][] {
  const sets = docs.map((d) => new Set(tokens(d)));
  const df = new Map<string, number>();
  for (const s of sets) for (const t of s) df.set(t, (df.get(t) ?? 0) + 1);
  const n = docs.length;
  return groups.map((g) => {
    const inGroup = new Map<string, number>();
    for (const i of g) for (const t of sets[i]) inGroup.set(t, (inGroup.get(t) ?? 0) + 1);
    const need = g.length >= 2 ? 2 : 1;
    const scored: TermScore[] = [];
    for (const [term, c] of inGroup) {
      if (c < need) continue;
      scored.push({ term, docs: c, score: (c / g.length) * Math.log(1 + n / df.get(term)!) });
    }
    return scored.sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0)).slice(0, top);
  });
}

/**
 * A snake_case name from the top terms: 2 or 3 of them (the third only when it scores at least
 * half the first), skipping a term that shares its first 4 letters with one already taken
 * (wrap / wrapping). Undefined when there are no terms.
 */
export function nameFromTerms(terms: readonly TermScore[]): string | undefined {
  const picked: TermScore[] = [];
  for (const t of terms) {
    if (picked.some((p) => p.term.slice(0, 4) === t.term.slice(0, 4))) continue;
    if (picked.length === 2 && t.score < picked[0].score / 2) break;
    picked.push(t);
    if (picked.length === 3) break;
  }
  return picked.length ? picked.map((p) => p.term).join('_') : undefined;
}
