/**
 * restify's body reader starts every request body with `new Buffer(0)`. For each such call, up to the process's first
 * 10,000, Node captures a stack trace to see whether the caller sits in node_modules (it warns only about code outside
 * them), and it stops looking once the warning has been given: ≈ 1 % of a turn's CPU for a bot's first 10,000 requests.
 *
 * This gives that warning once, silenced, from here: Node then skips the check. The product's own code never calls the
 * Buffer constructor (the type checker marks it deprecated), so no warning it would have earned is lost.
 */
export function skipBufferDeprecationCheck(): void {
  const silenced = process.noDeprecation;
  process.noDeprecation = true;
  try {
    (Buffer as unknown as (size: number) => Buffer)(0);
  } finally {
    process.noDeprecation = silenced;
  }
}
