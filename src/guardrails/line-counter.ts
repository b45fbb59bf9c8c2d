/**
 * Maps offsets to 1-based line/column. Statements are visited in order, so it walks
 * forward from the last answer instead of rescanning: a 1 MB script stays linear.
 */
export class LineCounter {
  private offset = 0;
  private line = 1;
  private lineStart = 0;

  constructor(private readonly text: string) {}

  at(position: number): { line: number; column: number } {
    if (position < this.offset) {
      this.offset = 0;
      this.line = 1;
      this.lineStart = 0;
    }
    const target = Math.min(position, this.text.length);
    let next = this.text.indexOf("\n", this.offset);
    while (next !== -1 && next < target) {
      this.line += 1;
      this.lineStart = next + 1;
      next = this.text.indexOf("\n", next + 1);
    }
    this.offset = target;
    return { line: this.line, column: target - this.lineStart + 1 };
  }
}
