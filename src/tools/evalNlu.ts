import { join } from 'node:path';
import { confusions, crossValidate, evaluate, readLabelled } from '../understanding/evaluation';
import { BEHAVIOUR_TARGET, BLIND_WISH_SET, DEV_WISH_SET, KIND_TARGET, STUDIED_WISH_SETS, readWishSet } from '../understanding/wishSets';
import { evaluateBehaviour, evaluationRuntime, type BehaviourScore } from './behaviourEvaluation';
import { BLIND_DETAILS_SET, DETAILS_TARGET, evaluateDetails, evaluateWishes, readLabelledDetails, STUDIED_DETAILS_SETS } from '../understanding/detailsEvaluation';
import { readCorpora, trainIntentRecognizer } from '../understanding/nlu';

const FOLDS = 5;

/**
 * `npm run eval:nlu`: the blind first-message sets in force (BLIND_WISH_SET, read as one) and the development set
 * (test/nlu/wishes-dev.<lang>.json), each message judged by what the whole bot does with it (issue 13: per language,
 * per kind, a confusion table, no non-request starting an action flow); the studied sets, which the corpus has taken
 * in as training data, checked for unsafe starts; k-fold cross-validation on the corpus; then the older
 * recogniser-only sets (held-out, dev) and the verification details. The blind set's misses are printed only with
 * `--show-blind-misses` — reading them retires the set (rename it `-studied`, write a new one); `--dev-only` leaves the
 * blind set out altogether, for tuning.
 */
async function main(): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  const threshold = Number(process.env.NLU_THRESHOLD ?? 0.4);
  const started = performance.now();
  const recognizer = await trainIntentRecognizer(readCorpora(), { threshold });
  console.log(`NLU: word and letter-sequence regression, trained on both corpora in ${Math.round(performance.now() - started)} ms, threshold ${threshold}`);
  let failed = false;
  const showBlindMisses = process.argv.includes('--show-blind-misses');

  // What the bot does with a first message: the blind set (frozen), then the development set.
  const runtime = await evaluationRuntime();
  try {
    // `--dev-only` while tuning: not even the blind set's totals are looked at between two measurements.
    const devOnly = process.argv.includes('--dev-only');
    for (const [set, blind] of [[BLIND_WISH_SET, true], [DEV_WISH_SET, false]] as const) {
      if (blind && devOnly) continue;
      const sets = readWishSet(root, set);
      if (!sets) continue;
      console.log(`\n== first messages, ${typeof set === 'string' ? set : set.join(' + ')} (${blind ? `written blind, frozen; targets ≥ ${BEHAVIOUR_TARGET * 100}% per language, every kind ≥ ${KIND_TARGET * 100}%, no non-request starting an action` : 'kept out of the corpus, for tuning; every miss'}) ==`);
      for (const score of await evaluateBehaviour(runtime, sets, readCorpora())) {
        printBehaviour(score, !blind || showBlindMisses);
        if (blind && (score.accuracy < BEHAVIOUR_TARGET || score.unsafe.length > 0 || Object.values(score.byKind).some((k) => k.correct / k.total < KIND_TARGET))) failed = true;
      }
      // Each set of the blind union on its own, totals only.
      if (blind && typeof set !== 'string' && set.length > 1) {
        for (const member of set) {
          for (const score of await evaluateBehaviour(runtime, readWishSet(root, member) as NonNullable<ReturnType<typeof readWishSet>>, readCorpora())) {
            console.log(`  ${member} ${score.language}: ${(score.accuracy * 100).toFixed(1)}% (${score.correct}/${score.total}), unsafe ${score.unsafe.length}`);
          }
        }
      }
    }
    // The studied sets are training data now: their reading says nothing of generalisation, but none of their
    // messages that asks for no action may start one.
    const studied = readWishSet(root, STUDIED_WISH_SETS);
    if (studied) {
      console.log(`\n== first messages, the studied sets (${STUDIED_WISH_SETS.length}, in the corpus now: a check, not a result) ==`);
      for (const score of await evaluateBehaviour(runtime, studied)) {
        console.log(`${score.language}: ${(score.accuracy * 100).toFixed(1)}% (${score.correct}/${score.total}); an action flow started by a non-request: ${score.unsafe.length}`);
        for (const unsafe of score.unsafe) console.log(`  UNSAFE "${unsafe.text}" (${unsafe.expected} → ${unsafe.did})`);
        if (score.unsafe.length > 0) failed = true;
      }
    }
  } finally {
    await runtime.close();
  }

  console.log(`\n== ${FOLDS}-fold cross-validation on the corpus (recogniser only) ==`);
  for (const fold of await crossValidate(readCorpora(), FOLDS, (corpora) => trainIntentRecognizer(corpora, { threshold }))) {
    console.log(`${fold.language}: ${(fold.accuracy * 100).toFixed(1)}% (${fold.correct}/${fold.total})`);
  }

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
    console.log('\nbelow target: the blind first messages (95% per language, 85% per kind, no unsafe action), held-out intent accuracy (90%) or blind details accuracy');
    process.exitCode = 1;
  }
}

function printBehaviour(score: BehaviourScore, misses: boolean): void {
  const percent = (correct: number, total: number) => `${((correct / total) * 100).toFixed(1)}%`;
  console.log(`${score.language}: ${percent(score.correct, score.total)} (${score.correct}/${score.total}); an action flow started by a non-request: ${score.unsafe.length}; asked "do you want to …?" first: ${score.asked}; left out, in the corpus word for word: ${score.inCorpus}`);
  console.log(`  by kind: ${Object.entries(score.byKind).map(([kind, k]) => `${kind} ${percent(k.correct, k.total)} (${k.correct}/${k.total})`).join(', ')}`);
  // The confusion table, one line per expected behaviour that was not always right: expected → what the bot did.
  for (const [expected, row] of Object.entries(score.confusion)) {
    const wrong = Object.entries(row).filter(([did]) => did !== expected);
    if (wrong.length > 0) console.log(`  ${expected} (${row[expected] ?? 0} right) → ${wrong.map(([did, n]) => `${did} ${n}`).join(', ')}`);
  }
  for (const unsafe of score.unsafe) console.log(`  UNSAFE "${misses ? unsafe.text : '…'}" (${unsafe.expected} → ${unsafe.did})`);
  if (misses) for (const miss of score.misses) console.log(`      "${miss.text}" [${miss.kind}] (${miss.expected} → ${miss.did})`);
}

void main();
