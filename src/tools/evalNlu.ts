import { join } from 'node:path';
import { confusions, evaluate, readLabelled } from '../understanding/evaluation';
import { BLIND_DETAILS_SET, DETAILS_TARGET, evaluateDetails, evaluateWishes, readLabelledDetails, STUDIED_DETAILS_SETS } from '../understanding/detailsEvaluation';
import { readCorpora, trainIntentRecognizer } from '../understanding/nlu';

/**
 * `npm run eval:nlu`: trains on locales/<lang>/nlu/intents.json, scores the blind held-out set
 * (test/nlu/heldout.<lang>.json, the figure that counts, target 90%) and the development set, and prints accuracy,
 * a confusion summary and every miss.
 */
async function main(): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  const threshold = Number(process.env.NLU_THRESHOLD ?? 0.5);
  const started = performance.now();
  const recognizer = await trainIntentRecognizer(readCorpora(), { threshold });
  console.log(`NLU: NLP.js, trained on both corpora in ${Math.round(performance.now() - started)} ms, threshold ${threshold}`);
  let failed = false;
  for (const set of ['heldout', 'dev'] as const) {
    console.log(`\n== ${set === 'heldout' ? 'held-out (written blind; the target is ≥ 90%)' : 'development set (guided corpus work; for comparison)'} ==`);
    for (const score of await evaluate(recognizer, readLabelled(root, set))) {
      console.log(`${score.language}: ${(score.accuracy * 100).toFixed(1)}% (${score.correct}/${score.total})`);
      for (const { pair, count } of confusions(score)) console.log(`  ${count} × ${pair}`);
      for (const miss of score.misses) console.log(`      "${miss.text}" (${miss.expected} → ${miss.got}, ${miss.score})`);
      if (set === 'heldout' && score.accuracy < 0.9) failed = true;
    }
  }
  // Every verification detail out of one message (test/nlu/blind/details*.json), and the wish in the same messages.
  for (const set of [BLIND_DETAILS_SET, ...STUDIED_DETAILS_SETS]) {
    const blind = set === BLIND_DETAILS_SET;
    console.log(`\n== details, ${set} (${blind ? `written blind, never studied; the target is ≥ ${DETAILS_TARGET * 100}% and nothing wrong unconfirmed` : 'blind once, misses studied; for comparison'}) ==`);
    const sets = readLabelledDetails(root, set);
    const wishes = await evaluateWishes(recognizer, sets);
    for (const score of evaluateDetails(sets)) {
      const wish = wishes.find((w) => w.language === score.language);
      console.log(`${score.language}: ${(score.accuracy * 100).toFixed(1)}% of details (${score.correct}/${score.expected}), ${score.wrong.length} wrong, ${score.missed.length} missed; wish ${wish?.understood}/${wish?.stated}, ${wish?.misrouted.length} sent to a person/language/out of scope`);
      if (blind && score.accuracy < DETAILS_TARGET) failed = true;
      // The blind set's misses are not printed: once studied, a set is no longer blind (rename it *-studied, write a new one).
      if (blind) continue;
      for (const wrong of score.wrong) console.log(`      wrong ${wrong.id} ${wrong.item}: ${JSON.stringify(wrong.got)} (is ${JSON.stringify(wrong.expected)})`);
      for (const missed of score.missed) console.log(`      missed ${missed.id} ${missed.item}: ${JSON.stringify(missed.expected)}`);
    }
  }

  // Speed, for the record: the median time of one recognition over every labelled utterance.
  const times: number[] = [];
  for (const set of ['heldout', 'dev'] as const) {
    for (const [language, items] of Object.entries(readLabelled(root, set)) as Array<['sv' | 'en', Array<{ text: string }>]>) {
      for (const { text } of items) {
        const t0 = performance.now();
        await recognizer.recognize(`${text} ${times.length}`, language);
        times.push(performance.now() - t0);
      }
    }
  }
  times.sort((a, b) => a - b);
  console.log(`\nrecognition: median ${times[Math.floor(times.length / 2)].toFixed(2)} ms, p99 ${times[Math.floor(times.length * 0.99)].toFixed(2)} ms over ${times.length} messages`);
  if (failed) {
    console.log('\nbelow target: held-out intent accuracy (90%) or blind details accuracy');
    process.exitCode = 1;
  }
}

void main();
