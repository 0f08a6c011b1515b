// Mocha's spec reporter plus one machine-readable closing line per tier:
//   RESULT <tier>: N passed, N failed
// scripts/test-all.mjs adds these up into the final plain "N passed, N failed" line.
const Mocha = require('mocha');
const { EVENT_RUN_END } = Mocha.Runner.constants;

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const tier = (options && options.reporterOption && options.reporterOption.tier) || process.env.TEST_TIER || 'tests';
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || { passes: 0, failures: 0 };
      // Printed after spec's epilogue.
      setImmediate(() => console.log(`RESULT ${tier}: ${s.passes} passed, ${s.failures} failed`));
    });
  }
}
module.exports = CountReporter;
