/** The promise's outcome, or a rejection with `timedOut()` once `ms` have passed (the promise itself runs on). */
export function withinTime<T>(promise: Promise<T>, ms: number, timedOut: () => Error = () => new Error(`no answer within ${ms} ms`)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(timedOut()), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
