// The one summary statistic the bench's scripts share.

/** The middle value (the upper one of an even count), as every table of the bench reports it. */
export const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
