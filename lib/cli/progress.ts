// Progress on stderr: a redrawn bar with rate and ETA on a terminal, a line
// every few seconds otherwise (logs, CI).
export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'items',
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number): void {
    const now = Date.now();
    const final = done >= this.total;
    if (!final && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const seconds = (now - this.start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const fraction = this.total > 0 ? done / this.total : 1;
    const width = 24;
    const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
    // A rate over less than a tenth of a second is noise (it printed "1/1 frames, 0.0 frames/s").
    const speed = seconds >= 0.1 && rate > 0 ? `${formatRate(rate)} ${this.unit}/s, ` : '';
    const text = `${this.label} [${bar}] ${done}/${this.total} ${this.unit}, ${speed}${
      final ? `done in ${formatTime(seconds)}` : `ETA ${formatTime(eta)}`
    }`;
    if (this.tty) this.stream.write(`\r${text}\x1b[K${final ? '\n' : ''}`);
    else this.stream.write(`${text}\n`);
  }
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toPrecision(2);
}

export function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}
