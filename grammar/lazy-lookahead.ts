// Chevrotain's LL(k) lookahead, computed per production on its first use instead of for every
// production when the parser is built. Building all of them up front was the largest part of the
// parser's construction (tens of ms at every start, docs/benchmarks.md); a one-liner reaches only a
// few of the grammar's productions. The functions built are Chevrotain's own, so parsing is unchanged.

import { LLkLookaheadStrategy, type ILookaheadStrategy, type IOrAlt, type TokenType, type Rule } from 'chevrotain';

type AlternationOptions = Parameters<ILookaheadStrategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<ILookaheadStrategy['buildLookaheadForOptional']>[0];
type AlternationLookahead = (this: unknown, orAlts?: IOrAlt<unknown>[]) => number | undefined;
type OptionalLookahead = (this: unknown) => boolean;

export class LazyLookahead implements ILookaheadStrategy {
  private readonly llk: ILookaheadStrategy;

  constructor(maxLookahead: number) {
    this.llk = new LLkLookaheadStrategy({ maxLookahead });
  }

  /** Grammar checks (only when the parser is built with validations, as in the tests). */
  validate(options: { rules: Rule[]; tokenTypes: TokenType[]; grammarName: string }) {
    return this.llk.validate(options);
  }

  buildLookaheadForAlternation(options: AlternationOptions) {
    const llk = this.llk;
    let built: AlternationLookahead | undefined;
    // Chevrotain calls it with the parser as `this`, which the real function reads tokens from.
    return function lazyAlternation(this: unknown, orAlts?: IOrAlt<unknown>[]) {
      built ??= llk.buildLookaheadForAlternation(options) as AlternationLookahead;
      return built.call(this, orAlts);
    };
  }

  buildLookaheadForOptional(options: OptionalOptions) {
    const llk = this.llk;
    let built: OptionalLookahead | undefined;
    return function lazyOptional(this: unknown) {
      built ??= llk.buildLookaheadForOptional(options) as OptionalLookahead;
      return built.call(this);
    };
  }
}
