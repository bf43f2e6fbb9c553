import { join } from 'node:path';
import { confusions, evaluate, readLabelled } from '../understanding/evaluation';
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
    console.log('\nheld-out accuracy below the 90% target');
    process.exitCode = 1;
  }
}

void main();
