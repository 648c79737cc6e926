/**
 * What the CLI prints comes partly from people (titles, reasons, names) and from anyone who can
 * send the workflows a message. Control characters and bidirectional overrides in it could move
 * the cursor, rewrite what was printed before or reorder a line, so they are shown as U+FFFD;
 * line breaks and tabs stay.
 */
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '\uFFFD');
}

/** A line for standard output. */
export function say(text: string): void {
  console.log(printable(text));
}

/** A line for standard error. */
export function warn(text: string): void {
  console.error(printable(text));
}
