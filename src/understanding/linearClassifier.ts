/**
 * The intent classifier: multinomial logistic regression over word, word-pair, word-stem and letter-sequence features.
 * Letter sequences carry what whole words miss: "uppsägningen", "sägaupp", "snabbåterkallelse" and "återaktivering"
 * share pieces with the words the corpus has even when the whole word is new, and a stem ("förny") carries "förnyas",
 * "förnyelse" and "förnyar" alike. Trained in-process at start-up, deterministically (a seeded shuffle), with nothing
 * downloaded or stored. Settings measured on the development sets (`npm run eval:nlu`).
 */
export interface Classification {
  intent: string;
  score: number;
}

export interface LinearClassifier {
  /** Every label with its probability, most likely first. `text` is already folded (lower case, no marks). */
  classify(text: string): Classification[];
}

export interface LinearTrainingOptions {
  epochs?: number;
  learningRate?: number;
  /** L2 pull towards zero per update (none by default: measured, it only blurred the corpus's rarer wordings). */
  l2?: number;
}

/** The features of a folded text: words, neighbouring pairs, stems of long words and letter 3- and 4-grams. */
export function features(text: string): string[] {
  const tokens = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const out = new Set<string>();
  tokens.forEach((word, i) => {
    out.add(`w:${word}`);
    if (i > 0) out.add(`b:${tokens[i - 1]}_${word}`);
    if (word.length >= 6) out.add(`s:${word.slice(0, 5)}`);
    if (word.length >= 4 && !/\d/.test(word)) {
      const padded = `<${word}>`;
      for (const n of [3, 4]) for (let j = 0; j + n <= padded.length; j++) out.add(`c:${padded.slice(j, j + n)}`);
    }
  });
  return [...out];
}

export function trainLinearClassifier(examples: Array<{ text: string; label: string }>, options: LinearTrainingOptions = {}): LinearClassifier {
  const { epochs = 20, learningRate = 12, l2 = 0 } = options;
  const labels = [...new Set(examples.map((example) => example.label))].sort();
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const featureIndex = new Map<string, number>();
  const encoded = examples.map(({ text, label }) => {
    const ids = features(text).map((feature) => {
      let id = featureIndex.get(feature);
      if (id === undefined) featureIndex.set(feature, (id = featureIndex.size));
      return id;
    });
    return { ids, label: labelIndex.get(label) as number };
  });
  const classes = labels.length;
  const weights = new Float32Array(featureIndex.size * classes);
  const bias = new Float32Array(classes);
  const scores = new Float64Array(classes);

  const forward = (ids: number[]): Float64Array => {
    // Each feature weighs 1/√n: a long message is not more sure of itself than a short one.
    const value = ids.length ? 1 / Math.sqrt(ids.length) : 0;
    for (let c = 0; c < classes; c++) scores[c] = bias[c];
    for (const id of ids) for (let c = 0, base = id * classes; c < classes; c++) scores[c] += weights[base + c] * value;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores[c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += scores[c] = Math.exp(scores[c] - max);
    for (let c = 0; c < classes; c++) scores[c] /= sum;
    return scores;
  };

  const order = encoded.map((_example, i) => i);
  let seed = 0x9e3779b9;
  const random = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const rate = learningRate / (1 + epoch * 0.2);
    for (const index of order) {
      const { ids, label } = encoded[index];
      const probabilities = forward(ids);
      const value = ids.length ? 1 / Math.sqrt(ids.length) : 0;
      for (let c = 0; c < classes; c++) {
        const gradient = probabilities[c] - (c === label ? 1 : 0);
        // Most labels are already near zero for most examples: skipping them is most of the training's speed.
        if (Math.abs(gradient) < 1e-3) continue;
        bias[c] -= rate * gradient * 0.1;
        for (const id of ids) {
          const at = id * classes + c;
          weights[at] -= rate * (gradient * value + l2 * weights[at]);
        }
      }
    }
  }

  return {
    classify(text) {
      const ids = features(text).flatMap((feature) => featureIndex.get(feature) ?? []);
      const probabilities = forward(ids);
      return labels.map((intent, c) => ({ intent, score: probabilities[c] })).sort((a, b) => b.score - a.score);
    },
  };
}
