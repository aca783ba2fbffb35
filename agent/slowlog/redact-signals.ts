import type { Signals, SlowQueryClass, StatementStat } from '../snapshot/signals.js';
import { type LiteralPolicy, redactSql, type SqlLexicon } from './redact.js';

// Where statement text enters the snapshot (agent/runtime/target-runner.ts calls this on every
// probe's and every followed log's signals), so every later surface — labels, /api, logs,
// findings, check, reports — reads redacted text by construction:
//   fingerprint: literals masked, credentials reduced to their shape: safe to show anywhere;
//   sample:      the text the agent plans with (EXPLAIN needs real values): literals kept,
//                credentials still reduced to their shape. INTERNAL: shown only when the
//                config asks for samples (redaction.showSamples).

/** Texts remembered per policy: the same statements come back every cycle. */
const MEMO_ENTRIES = 20_000;

/** One target's redaction step (its engine's lexicon, and a memo of texts already redacted). */
export class SignalRedactor {
  private readonly memo: Record<LiteralPolicy, Map<string, string>> = { mask: new Map(), keep: new Map() };

  constructor(private readonly lexicon: SqlLexicon) {}

  text(text: string, policy: LiteralPolicy): string {
    const memo = this.memo[policy];
    let out = memo.get(text);
    if (out === undefined) {
      out = redactSql(text, this.lexicon, policy);
      if (memo.size >= MEMO_ENTRIES) memo.clear();
      memo.set(text, out);
    }
    return out;
  }

  private statement(s: StatementStat): StatementStat {
    return {
      ...s,
      fingerprint: this.text(s.fingerprint, 'mask'),
      sample: this.text(s.sample ?? s.fingerprint, 'keep'),
    };
  }

  private slowClass(c: SlowQueryClass): SlowQueryClass {
    return {
      ...c,
      fingerprint: this.text(c.fingerprint, 'mask'),
      sample: c.sample === null ? null : this.text(c.sample, 'keep'),
    };
  }

  /** The signals with every statement text passed through the one redaction step. */
  signals(signals: Partial<Signals>): Partial<Signals> {
    const out: Partial<Signals> = { ...signals };
    if (signals.statements) {
      out.statements = {
        ...signals.statements,
        statements: signals.statements.statements.map((s) => this.statement(s)),
      };
    }
    if (signals.slowlog) {
      out.slowlog = { ...signals.slowlog, classes: signals.slowlog.classes.map((c) => this.slowClass(c)) };
    }
    return out;
  }
}
